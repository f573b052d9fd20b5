import { JetStreamApiError } from '@nats-io/jetstream';
import { connect, errors, type NatsConnection } from '@nats-io/transport-node';
import { describeError } from '../../core/errors.ts';
import type { SendOutcome } from '../driver.ts';

export interface ConnectOptions {
  servers: readonly string[];
  /** Give up connecting after this long. */
  timeoutMs: number;
  /** Names the connection in the server's monitoring views. */
  name: string;
}

/**
 * Opens a connection that reconnects forever (a partition heals, the broker restarts) and notices a
 * black-holed connection within seconds (PING every 2 s, two unanswered and it is stale). Servers
 * the broker advertises are ignored: every connection must stay on the proxy it was given.
 */
export async function openConnection(options: ConnectOptions): Promise<NatsConnection> {
  try {
    return await connect({
      servers: [...options.servers],
      name: options.name,
      timeout: options.timeoutMs,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      pingInterval: 2000,
      maxPingOut: 2,
      ignoreClusterUpdates: true,
      noAsyncTraces: true,
    });
  } catch (error) {
    throw new Error(`cannot connect to NATS at ${options.servers.join(', ')}: ${describeError(error)}`, {
      cause: error,
    });
  }
}

interface ProtocolInternals {
  options?: { reconnect?: boolean };
  transport?: { socket?: { destroy(error?: Error): void } };
}

/**
 * Ends a connection the way a crashed process does: no reconnect, no flush of what is buffered, no
 * unsubscribe or acknowledgement — the socket just goes away and the server must notice on its own.
 * (nats.js has no public "abort"; `close()` flushes first, which a dying process would not do.)
 */
export function destroyConnection(nc: NatsConnection | undefined): void {
  if (!nc || nc.isClosed()) return;
  const protocol = (nc as unknown as { protocol?: ProtocolInternals }).protocol;
  if (protocol?.options) protocol.options.reconnect = false;
  const socket = protocol?.transport?.socket;
  if (socket) socket.destroy(new Error('crashed by brokerproof'));
  // Between connections (reconnecting) there is no socket: nothing can be sent anyway.
  else void nc.close().catch(() => {});
}

/**
 * What a failed publish means. The server answering with an error (no such stream, wrong expected
 * sequence, storage refused), or nobody listening on the subject, means nothing was stored: `fail`.
 * A timeout or a lost connection leaves it unknown: the request may have been stored. nats.js drops
 * what it buffered for a dead connection when it reconnects, but a request written just before the
 * connection died may have reached the server: `info`.
 */
export function publishFailure(error: unknown): SendOutcome {
  const message = describeError(error);
  if (error instanceof JetStreamApiError)
    return { status: 'fail', error: `the server refused it: ${message}` };
  // nats.js reports no responders to a JetStream publish as JetStreamNotEnabled (not exported).
  const name = error instanceof Error ? error.name : '';
  if (name === 'JetStreamNotEnabled' || error instanceof errors.NoRespondersError) {
    return { status: 'fail', error: `no stream listens on the subject: ${message}` };
  }
  if (error instanceof errors.TimeoutError) return { status: 'info', error: `no publish ack: ${message}` };
  return { status: 'info', error: message };
}

/** Resolves with `promise`, or rejects after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
