import type { Setup } from '../driver.ts';

/** How a setup's consumers commit offsets. */
export type CommitMode =
  /** Manual commit of offset + 1 after the handler processed the message (the runner's ack). */
  | 'after-process'
  /** Commit of offset + 1 before the message is handed over at all (at-most-once on receipt). */
  | 'on-delivery'
  /** kafkajs `autoCommit` as shipped, with `eachMessage`: commits happen in the background. */
  | 'auto'
  /** Consume-transform-produce: the input offset is committed with the output in one transaction. */
  | 'transactional';

/** What the Kafka driver builds for a setup. */
export interface KafkaSetupOptions {
  [key: string]: unknown;
  commit: CommitMode;
  /** Producer acks: -1 (all in-sync replicas, idempotent producer) or 0 (fire and forget). */
  acks: -1 | 0;
  /** Failed handling goes through one retry topic per attempt (with a due time), then a DLQ topic. */
  retryTopics?: boolean;
}

const setup = (s: Omit<Setup, 'options'> & { options: KafkaSetupOptions }): Setup => s;

/**
 * Kafka setups, each with the guarantee it honestly claims (docs/drivers/kafka.md explains each) —
 * what Kafka gives as configured. The idempotent producer drops only its own internal retries
 * within one producer session: an application's resend of a send that timed out is a new record.
 */
export const KAFKA_SETUPS: readonly Setup[] = [
  setup({
    name: 'commit-after-process',
    description:
      'Idempotent producer (acks=-1); consumer groups commit offset+1 of each message after processing it. Redelivery after a crash or rebalance: at-least-once, in partition order. Pipelines produce the output, then commit.',
    claim: { delivery: 'at-least-once', ordering: 'per-partition' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'manual',
    fanOut: true,
    pipeline: 'sequential',
    deliversInBatches: true,
    options: { commit: 'after-process', acks: -1 },
  }),
  setup({
    name: 'retry-topics',
    description:
      'Commit after processing; a failed message is produced to the retry topic of its attempt (consumed once its backoff is due), then after N deliveries (3, or --max-attempts N) to a DLQ topic, committing the original each time (produce acknowledged by all in-sync replicas first, so nothing is lost on the way).',
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    deliversInBatches: true,
    options: { commit: 'after-process', acks: -1, retryTopics: true },
  }),
  setup({
    name: 'transactions',
    description:
      'Consume-transform-produce: a transactional producer per input partition sends the output and the input offset (sendOffsets) in one transaction; read_committed readers see committed output only. Exactly-once holds for what goes through that pipeline only — each input record is forwarded once. A resend by the application of a send that timed out is a new record (and forwarded again), and scenarios that acknowledge with a plain offset commit get at-least-once.',
    claim: { delivery: 'exactly-once', ordering: 'per-partition' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'manual',
    fanOut: false,
    pipeline: 'transactional',
    deliversInBatches: true,
    options: { commit: 'transactional', acks: -1 },
  }),
  setup({
    name: 'commit-before-process',
    description:
      'The consumer commits offset+1 before the handler sees the message (and skips it when the commit fails): a crash loses what was being processed, nothing is processed twice.',
    claim: { delivery: 'at-most-once', ordering: 'per-partition' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'on-delivery',
    fanOut: true,
    deliversInBatches: true,
    options: { commit: 'on-delivery', acks: -1 },
  }),
  setup({
    name: 'auto-commit',
    description:
      'kafkajs autoCommit as shipped (eachMessage, commit after every batch): an offset is resolved only once the handler returned, so it is at-least-once; the commits are not observable per message (acks are recorded as info).',
    claim: { delivery: 'at-least-once', ordering: 'per-partition' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'manual',
    fanOut: true,
    options: { commit: 'auto', acks: -1 },
  }),
  setup({
    name: 'acks-0',
    description:
      'Fire-and-forget producer (acks=0, no idempotence, no retries): the broker confirms nothing, so every send is info; consumers commit on receipt. At most once, end to end.',
    claim: { delivery: 'at-most-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'on-delivery',
    fanOut: true,
    deliversInBatches: true,
    options: { commit: 'on-delivery', acks: 0 },
  }),
];
