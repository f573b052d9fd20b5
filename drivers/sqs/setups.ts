import type { Setup } from '../driver.ts';

/** What the SQS driver builds for a setup. */
export interface SqsSetupOptions {
  [key: string]: unknown;
  queueType: 'standard' | 'fifo';
  /** A RedrivePolicy moves a message to a dead-letter queue on its (maxReceiveCount + 1)-th receive. */
  deadLetter?: boolean;
  /** Producers publish to an SNS topic; each subscriber group has its own queue (raw delivery). */
  sns?: boolean;
}

const setup = (s: Omit<Setup, 'options'> & { options: SqsSetupOptions }): Setup => s;

/**
 * SQS setups, each with the guarantee it honestly claims — what SQS gives as configured. No setup
 * claims exactly-once, although AWS documents FIFO queues as "exactly-once processing": FIFO
 * deduplication absorbs producer retries within its 5-minute window, but a consumer that dies
 * after processing and before DeleteMessage gets the message again after the visibility timeout
 * (measured: the exactly-once scenario on `fifo` finds `duplicated` > 0 with consumer crashes).
 */
export const SQS_SETUPS: readonly Setup[] = [
  setup({
    name: 'standard',
    description:
      'Standard queue: batch send, long-polled batch receive, DeleteMessage after processing; unacknowledged messages return after the visibility timeout.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    deliversInBatches: true,
    options: { queueType: 'standard' },
  }),
  setup({
    name: 'fifo',
    description:
      'FIFO queue: MessageGroupId = message key (one group when unkeyed), MessageDeduplicationId = message id (5-minute dedupe window); a group is handled in order.',
    claim: { delivery: 'at-least-once', ordering: 'per-key' },
    claimBasis: 'configuration',
    resends: 'deduplicated',
    orderingScopes: ['per-key'],
    ackMode: 'manual',
    fanOut: false,
    deliversInBatches: true,
    options: { queueType: 'fifo' },
  }),
  setup({
    name: 'standard-dlq',
    description:
      'Standard queue with a RedrivePolicy: a message received maxReceiveCount = N times (3, or --max-attempts N) without being deleted moves to the dead-letter queue; retries back off with ChangeMessageVisibility.',
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    deliversInBatches: true,
    options: { queueType: 'standard', deadLetter: true },
  }),
  setup({
    name: 'fifo-dlq',
    description:
      'FIFO queue (MessageDeduplicationId = message id, 5-minute dedupe window) with a FIFO dead-letter queue after maxReceiveCount = N receives (3, or --max-attempts N); a failing message holds its group back until it is dead-lettered.',
    claim: { delivery: 'at-least-once', ordering: 'per-key', maxAttempts: 3 },
    claimBasis: 'configuration',
    resends: 'deduplicated',
    orderingScopes: ['per-key'],
    ackMode: 'manual',
    fanOut: false,
    deliversInBatches: true,
    options: { queueType: 'fifo', deadLetter: true },
  }),
  setup({
    name: 'sns-fanout',
    description:
      'SNS topic with one SQS queue per subscriber group (RawMessageDelivery); needs SNS: moto or AWS, not ElasticMQ.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    deliversInBatches: true,
    options: { queueType: 'standard', sns: true },
  }),
];
