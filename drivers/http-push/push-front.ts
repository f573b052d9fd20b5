/**
 * The address a broker pushes one subscriber group's messages to: a small HTTP front that hands
 * each request to one of the group's registered push endpoints (round robin) and relays the
 * endpoint's answer, status and all — a load balancer in front of push consumers, as a deployment
 * behind one push URL has. It answers nothing on its own: no endpoint registered is 503, an
 * endpoint that refused or dropped the connection (killed, partitioned) is 502, and when the broker
 * gives up on a request the request to the endpoint is aborted too. So whatever the broker sees
 * comes from an endpoint, or says that none could answer.
 *
 * Endpoints register (and keep registering, as a heartbeat) with `POST /.brokerproof/endpoints`
 * and leave with `DELETE`; one that refused a connection is dropped until it registers again, so a
 * killed endpoint stops being chosen and a partitioned one comes back once its link does.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export const REGISTER_PATH = '/.brokerproof/endpoints';

/** An answer the front gives itself (e.g. an SNS SubscriptionConfirmation), or undefined to forward. */
export type Intercept = (
  body: Buffer,
  headers: IncomingHttpHeaders,
) => Promise<{ status: number; body?: string } | undefined>;

export interface PushFrontOptions {
  /** For logs. */
  name: string;
  /** Where to listen (default 127.0.0.1: the broker must reach it). */
  host?: string | undefined;
  intercept?: Intercept | undefined;
  log: (message: string) => void;
}

export class PushFront {
  private readonly endpoints: string[] = [];
  private next = 0;
  private inFlight = 0;
  /** When the broker last got something other than a 2xx (it will push that message again). */
  private lastTroubleAt = 0;
  /** Requests relayed, refused for want of an endpoint, failed at an endpoint: for diagnostics. */
  readonly stats = { relayed: 0, noEndpoint: 0, endpointFailed: 0, intercepted: 0 };

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: PushFrontOptions,
  ) {}

  static async start(options: PushFrontOptions): Promise<PushFront> {
    const host = options.host ?? '127.0.0.1';
    let front: PushFront | undefined;
    const server = createServer((req, res) => {
      front?.serve(req, res).catch((error: unknown) => {
        options.log(`${options.name}: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    front = new PushFront(server, `http://${host.includes(':') ? `[${host}]` : host}:${port}`, options);
    return front;
  }

  /**
   * A lower bound of what the broker still has to push here: requests being answered, plus one
   * for `windowMs` after the broker last got a non-2xx (or no) answer — it will push that message
   * again. 0 says only that nothing is known to be outstanding.
   */
  outstanding(windowMs: number): number {
    return this.inFlight + (Date.now() - this.lastTroubleAt < windowMs ? 1 : 0);
  }

  /** Registered endpoints, in rotation order. */
  get registered(): readonly string[] {
    return this.endpoints;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.url === REGISTER_PATH) return this.register(req, body, res);
    const own = await this.options.intercept?.(body, req.headers);
    if (own) {
      this.stats.intercepted++;
      res.writeHead(own.status).end(own.body);
      return;
    }
    const endpoint = this.pick();
    if (!endpoint) {
      this.stats.noEndpoint++;
      this.lastTroubleAt = Date.now();
      res.writeHead(503).end('no push endpoint registered');
      return;
    }
    this.relay(endpoint, req, body, res);
  }

  private register(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const url = (JSON.parse(body.toString('utf8') || '{}') as { url?: unknown }).url;
    if (typeof url !== 'string' || !/^http:\/\//.test(url)) {
      res.writeHead(400).end('url: an http:// address');
      return;
    }
    const at = this.endpoints.indexOf(url);
    if (req.method === 'DELETE') {
      if (at >= 0) this.endpoints.splice(at, 1);
    } else if (at < 0) {
      this.endpoints.push(url);
    }
    res.writeHead(204).end();
  }

  private pick(): string | undefined {
    if (this.endpoints.length === 0) return undefined;
    this.next = (this.next + 1) % this.endpoints.length;
    return this.endpoints[this.next];
  }

  private drop(endpoint: string): void {
    const at = this.endpoints.indexOf(endpoint);
    if (at >= 0) this.endpoints.splice(at, 1);
  }

  private relay(endpoint: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const target = new URL(req.url ?? '/', endpoint);
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    delete headers.connection;
    // The body is relayed whole, with its length: not in the sender's chunks.
    delete headers['transfer-encoding'];
    const out = request(target, { method: req.method, headers, agent: false });
    this.inFlight++;
    let counted = true;
    const settled = (ok: boolean) => {
      if (!ok) this.lastTroubleAt = Date.now();
      if (counted) this.inFlight--;
      counted = false;
    };
    out.on('response', (answer) => {
      this.stats.relayed++;
      const status = answer.statusCode ?? 502;
      settled(status >= 200 && status < 300);
      const { connection: _, 'keep-alive': __, ...rest } = answer.headers;
      res.writeHead(answer.statusCode ?? 502, rest);
      answer.pipe(res);
    });
    out.on('error', (error: NodeJS.ErrnoException) => {
      this.stats.endpointFailed++;
      settled(false);
      // Refused: nothing listens there (killed, or its proxy is down) — out of rotation until it
      // registers again. Reset mid-request: the endpoint died holding the request.
      if (error.code === 'ECONNREFUSED') this.drop(endpoint);
      if (!res.headersSent)
        res.writeHead(502).end(`push endpoint ${endpoint}: ${error.code ?? error.message}`);
      else res.destroy();
    });
    // The broker gave up on the request (its push timeout): so does the front.
    res.on('close', () => {
      if (res.writableFinished) return;
      settled(false);
      out.destroy();
    });
    out.end(body);
  }

  async close(): Promise<void> {
    this.endpoints.length = 0;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
