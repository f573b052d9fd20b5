import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { describeError } from '../../core/errors.ts';

export interface ConnectOptions {
  url: string;
  /** Give up connecting after this long. */
  timeoutMs: number;
  /** Names the connection in the broker's management views. */
  name: string;
}

/**
 * Opens a connection and a confirm channel. Connection-level errors are swallowed into `closed`
 * (amqplib emits 'error' before 'close'; an unhandled 'error' would end the process).
 */
export async function openChannel(
  options: ConnectOptions,
): Promise<{ model: ChannelModel; channel: ConfirmChannel }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no connection within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
  });
  const connecting = amqp.connect(withHeartbeat(options.url), {
    clientProperties: { connection_name: options.name },
  });
  try {
    const model = await Promise.race([connecting, timeout]);
    model.on('error', () => {});
    const channel = await Promise.race([model.createConfirmChannel(), timeout]);
    channel.on('error', () => {});
    return { model, channel };
  } catch (error) {
    // A connection that arrives after the timeout must not linger.
    void connecting.then((late) => late.close().catch(() => {})).catch(() => {});
    throw new Error(`cannot connect to RabbitMQ at ${redactUrl(options.url)}: ${describeError(error)}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** Heartbeats every 2 s, so a black-holed connection is noticed in seconds, not minutes. */
function withHeartbeat(url: string): string {
  if (/[?&]heartbeat=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}heartbeat=2`;
}

/** A URL fit for messages: no password. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^/:@]*:)[^@]*@/, '$1***@');
}

/**
 * Ends a connection the way a crashed process does: the socket goes away without closing channels
 * or acknowledging anything, and the broker must notice on its own.
 */
export function destroySocket(model: ChannelModel | undefined): void {
  const stream = (model?.connection as unknown as { stream?: { destroy(error?: Error): void } } | undefined)
    ?.stream;
  // With an error, so amqplib learns its socket is gone and stops its heartbeat timers too.
  stream?.destroy(new Error('consumer crashed (socket destroyed by brokerproof)'));
}

/** Where a client starts among `count` nodes: a number as it is, a name spread by its hash. */
export function startIndex(startAt: string | number, count: number): number {
  const start =
    typeof startAt === 'number'
      ? startAt
      : [...startAt].reduce((hash, ch) => (hash * 31 + ch.charCodeAt(0)) >>> 0, 7);
  return start % count;
}

/**
 * A client's way into a cluster: it starts at one node (spread by the client's name) and, when
 * that node does not take the connection, tries the next ones in turn. After a lost connection
 * (`moveOn`) it starts at the next node, so clients leave a killed or paused node. With one URL
 * (a single node, a proxy) it is plain `openChannel`.
 */
export class NodeCursor {
  private index: number;

  constructor(
    readonly urls: readonly string[],
    startAt: string | number,
  ) {
    this.index = startIndex(startAt, urls.length);
  }

  async open(
    options: Omit<ConnectOptions, 'url'>,
  ): Promise<{ model: ChannelModel; channel: ConfirmChannel }> {
    let last: unknown;
    for (let k = 0; k < this.urls.length; k++) {
      const at = (this.index + k) % this.urls.length;
      try {
        const opened = await openChannel({ ...options, url: this.urls[at]! });
        this.index = at;
        return opened;
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  moveOn(): void {
    this.index = (this.index + 1) % this.urls.length;
  }
}
