/**
 * What every Kafka client of a case shares, whichever process it runs in: the case's descriptor
 * (JSON) and how a client of one role connects. Its own module so the clients (clients.ts) and the
 * consumer (consumer.ts) both depend on it, not on each other.
 */
import type { ClientRole } from '../../core/brokers.ts';
import type { ConnectionOptions, KafkaLogLevel } from './connection.ts';
import type { KafkaSetupOptions } from './setups.ts';

/** Timeouts every client of a case uses (ms). */
export interface KafkaTimeouts {
  send: number;
  connection: number;
  request: number;
  session: number;
  heartbeat: number;
  rebalance: number;
  transaction: number;
}

/** Everything another process needs to reach a case's topics. JSON. */
export interface KafkaDescriptor {
  [key: string]: unknown;
  /** Bootstrap brokers of admin clients (topics, lag, cleanup), and of every client without `roles`. */
  brokers: string[];
  /** Producers' and consumers' own bootstrap brokers (each behind its own proxy), when provisioned so. */
  roles?: Record<ClientRole, string[]> | undefined;
  /** Prefix of every topic, group and transactional id of the case. */
  base: string;
  /** The work topic (also the `dest` every delivery reports). */
  dest: string;
  partitions: number;
  /** Kafka consumer group per subscriber group. */
  groups: Record<string, string>;
  /** Retry topics per group: `retries[group][n - 1]` holds messages due for their (n + 1)-th delivery. */
  retries: Record<string, string[]>;
  /** Dead-letter topic per group, and the consumer group that reads it. */
  deadLetters: Record<string, { topic: string; readers: string }>;
  /** A pipeline's output topic and the consumer group of its read_committed reader. */
  output: { topic: string; readers: string } | undefined;
  setup: KafkaSetupOptions;
  maxAttempts: number | undefined;
  timeouts: KafkaTimeouts;
  logLevel: KafkaLogLevel;
}

/**
 * How a client of `role` connects. Consumers (their retry and pipeline producers included: they
 * live in the consumer's process) use the consumers' brokers, producers the producers'.
 */
export function connectionOptions(
  d: KafkaDescriptor,
  clientId: string,
  role: ClientRole | 'admin',
): ConnectionOptions {
  return {
    brokers: (role !== 'admin' && d.roles?.[role]) || d.brokers,
    clientId,
    connectionTimeoutMs: d.timeouts.connection,
    requestTimeoutMs: d.timeouts.request,
    logLevel: d.logLevel,
  };
}
