import { z } from 'zod';

const ms = z.number().int().positive();

/**
 * `drivers.kafka` in the config file. Without `brokers`, the locally provisioned Kafka (through its
 * Toxiproxy listener) is used.
 */
export const kafkaSettings = z.strictObject({
  /** kafkajs `brokers`, e.g. `['kafka-1.staging:9092']`. */
  brokers: z.array(z.string().min(1)).min(1).optional(),
  /** A send with no outcome after this long is recorded as `info` (kafkajs may still be retrying). */
  sendTimeoutMs: ms.optional(),
  connectionTimeoutMs: ms.optional(),
  requestTimeoutMs: ms.optional(),
  /** Consumer session timeout: a crashed consumer is noticed after this long (broker minimum: 6000 by default). */
  sessionTimeoutMs: ms.optional(),
  heartbeatIntervalMs: ms.optional(),
  rebalanceTimeoutMs: ms.optional(),
  /** Transactions left open by a crashed consumer are aborted by the broker after this long at the latest. */
  transactionTimeoutMs: ms.optional(),
  /**
   * Topics get at least this many partitions (default 4), so competing consumers all have work;
   * 1 honours the workload's partition count exactly.
   */
  minPartitions: z.number().int().min(1).max(64).optional(),
  /** kafkajs' own log, on stderr (default: nothing). */
  logLevel: z.enum(['nothing', 'error', 'warn', 'info', 'debug']).optional(),
});
export type KafkaSettings = z.output<typeof kafkaSettings>;
