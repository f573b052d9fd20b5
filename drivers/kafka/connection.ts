import net from 'node:net';
import { Kafka, logLevel as LEVELS, type logCreator } from 'kafkajs';

export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export interface ConnectionOptions {
  brokers: readonly string[];
  clientId: string;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  logLevel: KafkaLogLevel;
}

const LEVEL: Record<KafkaLogLevel, LEVELS> = {
  nothing: LEVELS.NOTHING,
  error: LEVELS.ERROR,
  warn: LEVELS.WARN,
  info: LEVELS.INFO,
  debug: LEVELS.DEBUG,
};

/** kafkajs' log on stderr: a worker process's stdout carries the event protocol. */
const toStderr: logCreator =
  () =>
  ({ namespace, label, log }) =>
    process.stderr.write(`kafkajs ${label} [${namespace}] ${log.message}\n`);

/**
 * A kafkajs client whose sockets can all be torn down at once, the way a killed process loses
 * them: no LeaveGroup, no EndTxn, nothing flushed. Every client of one consumer incarnation (its
 * consumer, its producers, its admin) shares one connection, so `kill` takes them all down, and any
 * socket kafkajs asks for afterwards fails to open.
 */
export class KafkaConnection {
  readonly kafka: Kafka;
  private readonly sockets = new Set<net.Socket>();
  private killed = false;

  constructor(options: ConnectionOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      connectionTimeout: options.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      logLevel: LEVEL[options.logLevel],
      logCreator: toStderr,
      retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 8 },
      socketFactory: ({ host, port, onConnect }) => {
        if (this.killed) throw new Error('this client was killed (brokerproof crash)');
        const socket = net.connect({ host, port }, onConnect);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 60_000);
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        return socket;
      },
    });
  }

  get dead(): boolean {
    return this.killed;
  }

  /** Destroys every socket without a goodbye; kafkajs cannot open new ones. */
  kill(): void {
    this.killed = true;
    for (const socket of this.sockets) socket.destroy(new Error('connection killed (consumer crashed)'));
    this.sockets.clear();
  }
}

interface KafkaJsErrorLike {
  name?: string;
  type?: string;
  message?: string;
  cause?: unknown;
  retriable?: boolean;
}

/** The broker's error, if the error (or one it wraps) is an answer from the broker. */
export function protocolError(error: unknown): { type: string; message: string } | undefined {
  let current = error as KafkaJsErrorLike | undefined;
  for (let depth = 0; current && depth < 8; depth++) {
    if (current.name === 'KafkaJSProtocolError' && typeof current.type === 'string') {
      return { type: current.type, message: current.message ?? current.type };
    }
    current = current.cause as KafkaJsErrorLike | undefined;
  }
  return undefined;
}

/**
 * Broker answers that leave the outcome open: the request may have been applied (a timed-out
 * append, an append that was not replicated in time, an error the broker cannot name).
 */
const AMBIGUOUS = new Set([
  'REQUEST_TIMED_OUT',
  // The broker's sequence for the producer is ahead of the batch: an earlier attempt may have
  // written it (kafkajs takes sequences back after errors, docs/findings-kafka-cluster.md).
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'UNKNOWN',
  'UNKNOWN_SERVER_ERROR',
]);

/**
 * `fail` when the broker refused the request (a definite error answer), `info` otherwise: a lost
 * connection, a timeout, a retry budget used up on network errors — when in doubt, `info`.
 */
export function classify(error: unknown, doing: string): { status: 'fail' | 'info'; error: string } {
  const refused = protocolError(error);
  if (refused && !AMBIGUOUS.has(refused.type)) {
    return { status: 'fail', error: `${doing}: the broker refused it (${refused.type}: ${refused.message})` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 'info', error: `${doing}: ${message}` };
}

/** Errors after which a transactional producer must not be used again (another owner took over). */
export function isFenced(error: unknown): boolean {
  const type = protocolError(error)?.type;
  return (
    type === 'INVALID_PRODUCER_EPOCH' ||
    type === 'PRODUCER_FENCED' ||
    type === 'INVALID_PRODUCER_ID_MAPPING' ||
    type === 'INVALID_TXN_STATE' ||
    type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
  );
}

/** Races `promise` against a timer; the loser is ignored (its rejection too). */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => {});
  const timeout = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  try {
    return await Promise.race([promise.then((value) => ({ done: true as const, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
