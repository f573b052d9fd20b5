/**
 * HTTP push as a consumer kind, shared by Pub/Sub push subscriptions and SNS HTTP subscriptions:
 * the consumer is an HTTP server, living in the consumer (a crash, or the SIGKILL of a consumer
 * process, takes the endpoint down with it). Each request the broker sends is a delivery; the
 * HTTP response is the acknowledgement: `ack` answers 2xx, `nack` a non-2xx status, and a handler
 * that ends without either answers 500. The broker never confirms it saw a response, so an ack is
 * `info`; an answer that could not be written (the broker already hung up) is `fail`.
 *
 * The endpoint registers with its group's `PushFront` (the URL the broker pushes to) and keeps
 * registering every second while it runs. Given a per-consumer Toxiproxy proxy (`via`), it points
 * that proxy at itself and registers the proxy's address instead, so a partition or latency fault
 * on the consumer's proxy hits the delivery path: front → proxy → endpoint.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError } from '../../core/errors.ts';
import type { HostPort } from '../../provision/endpoints.ts';
import type { AckOutcome, Consumer, Delivery, DeliveryHandler } from '../driver.ts';
import { pointProxyAt } from './endpoint-proxy.ts';
import { REGISTER_PATH, readBody } from './push-front.ts';

/** What a pushed request carries, in the driver's terms. */
export interface PushedMessage {
  id: string;
  key?: string | undefined;
  poison: boolean;
  offset?: string | number | undefined;
  deliveryCount?: number | undefined;
  redelivered?: boolean | undefined;
  payload: Uint8Array;
}

/** A request as a message, or an answer the endpoint gives at once (not a delivery). */
export type Pushed =
  | { kind: 'message'; message: PushedMessage }
  | { kind: 'reply'; status: number; body?: string };

export type PushDecoder = (body: Buffer, headers: IncomingHttpHeaders) => Pushed;

export interface HttpPushConsumerOptions {
  name: string;
  /** `dest` of its deliveries. */
  dest: string;
  decode: PushDecoder;
  /** The group's front (`PushFront.url`) to register with. */
  front: string;
  /** The consumer's own Toxiproxy proxy, pointed at this endpoint (with `toxiproxyApi`). */
  via?: HostPort | undefined;
  toxiproxyApi?: string | undefined;
  /** Status of an ack (default 200) and of a nack (default 503). */
  ackStatus?: number | undefined;
  nackStatus?: number | undefined;
  log: (message: string) => void;
}

const HEARTBEAT_MS = 1000;

export class HttpPushConsumer implements Consumer {
  private state: 'new' | 'running' | 'crashed' | 'closed' = 'new';
  private server: Server | undefined;
  private advertised: string | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly options: HttpPushConsumerOptions) {}

  /** The address the front relays to (the proxy's with `via`); undefined before `start`. */
  get url(): string | undefined {
    return this.advertised;
  }

  async start(handler: DeliveryHandler): Promise<void> {
    if (this.state !== 'new') throw new Error(`consumer ${this.options.name} was already started`);
    this.state = 'running';
    const server = createServer((req, res) => {
      void this.serve(req, res, handler);
    });
    server.keepAliveTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const own: HostPort = { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
    let at = own;
    const { via, toxiproxyApi } = this.options;
    try {
      if (via && toxiproxyApi) {
        await pointProxyAt(toxiproxyApi, via, own);
        at = via;
      }
      this.advertised = `http://${at.host}:${at.port}`;
      await this.register('POST');
    } catch (error) {
      // Not started: nothing may keep listening (the caller starts a new consumer to retry).
      this.state = 'closed';
      await this.stopServer();
      throw error;
    }
    this.heartbeat = setInterval(() => {
      void this.register('POST').catch(() => {});
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private async register(method: 'POST' | 'DELETE'): Promise<void> {
    const response = await fetch(new URL(REGISTER_PATH, this.options.front), {
      method,
      body: JSON.stringify({ url: this.advertised }),
      signal: AbortSignal.timeout(2000),
    });
    if (!response.ok) throw new Error(`the push front refused ${this.advertised}: HTTP ${response.status}`);
  }

  private async serve(req: IncomingMessage, res: ServerResponse, handler: DeliveryHandler): Promise<void> {
    const body = await readBody(req).catch(() => undefined);
    if (this.state !== 'running' || !body) return;
    let pushed: Pushed;
    try {
      pushed = this.options.decode(body, req.headers);
    } catch (error) {
      res.writeHead(400).end(describeError(error));
      return;
    }
    if (pushed.kind === 'reply') {
      res.writeHead(pushed.status).end(pushed.body);
      return;
    }
    try {
      await handler(this.toDelivery(pushed.message, res));
    } catch (error) {
      this.options.log(`${this.options.name}: handler failed: ${describeError(error)}`);
    }
    // Neither acked nor nacked: an application's unhandled request ends in a server error.
    if (this.state === 'running' && !res.headersSent) res.writeHead(500).end('not acknowledged');
  }

  private toDelivery(m: PushedMessage, res: ServerResponse): Delivery {
    const { ackStatus = 200, nackStatus = 503 } = this.options;
    return {
      id: m.id,
      dest: this.options.dest,
      key: m.key,
      poison: m.poison,
      offset: m.offset,
      deliveryCount: m.deliveryCount,
      redelivered: m.redelivered,
      payload: m.payload,
      ack: () => this.answer(res, ackStatus, 'ack'),
      // A push broker decides when to retry: `delayMs` is not the endpoint's to take.
      nack: () => this.answer(res, nackStatus, 'nack'),
    };
  }

  private answer(res: ServerResponse, status: number, what: 'ack' | 'nack'): Promise<AckOutcome> {
    if (this.state !== 'running')
      return Promise.resolve({
        status: 'fail',
        error: `the endpoint is ${this.state}: no response was sent`,
      });
    if (res.headersSent)
      return Promise.resolve({ status: 'fail', error: 'this request was already answered' });
    if (res.destroyed || res.socket?.destroyed)
      return Promise.resolve({
        status: 'fail',
        error: 'the broker closed the connection before the response: nothing was sent',
      });
    return new Promise((resolve) => {
      res.writeHead(status).end(() => {
        // A nack is the handler giving up, whatever became of it; an ack is the response written,
        // which the broker never confirms.
        resolve(
          what === 'nack'
            ? { status: 'ok' }
            : { status: 'info', error: `HTTP ${status} sent; the broker never confirms it saw the response` },
        );
      });
    });
  }

  private stopServer(): Promise<void> {
    clearInterval(this.heartbeat);
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** A process dying: every connection dropped unanswered, no goodbye to the front. */
  async crash(): Promise<void> {
    if (this.state === 'crashed' || this.state === 'closed') return;
    this.state = 'crashed';
    await this.stopServer();
  }

  /** Leaves the front, then stops (requests still open are dropped unanswered: redelivered). */
  async close(): Promise<void> {
    if (this.state === 'crashed' || this.state === 'closed') return;
    const wasRunning = this.state === 'running';
    this.state = 'closed';
    clearInterval(this.heartbeat);
    if (wasRunning && this.advertised) await this.register('DELETE').catch(() => {});
    await this.stopServer();
  }
}
