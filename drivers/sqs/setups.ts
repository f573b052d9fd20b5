import { z } from 'zod';
import { defineCustomizer, defined, SetupOptionProblem } from '../custom-setup.ts';
import type { Setup } from '../driver.ts';

/** What the SQS driver builds for a setup. */
export interface SqsSetupOptions {
  [key: string]: unknown;
  queueType: 'standard' | 'fifo';
  /** A RedrivePolicy moves a message to a dead-letter queue on its (maxReceiveCount + 1)-th receive. */
  deadLetter?: boolean;
  /** Producers publish to an SNS topic; each subscriber group has its own queue (raw delivery). */
  sns?: boolean;
  /** With `sns`: each group is an HTTP subscription to its consumers' endpoints, not a queue. */
  http?: boolean;
  /** A custom setup's queue attributes (win over the driver's settings). */
  queueAttributes?: SqsQueueAttributes | undefined;
  /** A custom setup's messages per ReceiveMessage. */
  receiveBatchSize?: number | undefined;
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
      'Standard queue: batch send, long-polled batch receive, DeleteMessage after processing; unacknowledged messages return after the visibility timeout. On ElasticMQ (the default here) messages live in an H2 file written on each change without fsync: the claim holds across a broker crash (broker-kill), not across a power loss of its machine (power-loss), which loses acknowledged messages (docs/findings.md).',
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
  setup({
    name: 'sns-http-fanout',
    description:
      "SNS topic with one HTTP subscription per subscriber group, to a front that relays each POST to one of the group's consumers — each an HTTP server inside the consumer; 2xx acks. Claimed as moto delivers: one POST per message and subscription, made inside Publish, its answer ignored and never retried — a killed, refused or non-2xx endpoint loses the message for that group (at-most-once). AWS retries a failed HTTP delivery (3 times, 20 s apart, by default), so there a crash after processing duplicates and the at-most-once claim does not hold. Needs SNS: moto or AWS, not ElasticMQ.",
    claim: { delivery: 'at-most-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { queueType: 'standard', sns: true, http: true },
  }),
];

/** Queue attributes a custom setup may set (SQS names; others are rejected). */
const sqsQueueAttributes = z.strictObject({
  /** Seconds an unacknowledged message stays invisible before it comes back. */
  VisibilityTimeout: z.number().int().min(1).max(43_200).optional(),
  /** Seconds every new message waits before it can be received. */
  DelaySeconds: z.number().int().min(0).max(900).optional(),
  /** FIFO only: deduplicate by body instead of by message id. */
  ContentBasedDeduplication: z.boolean().optional(),
  /** Dead-letter after this many receives (to a queue the driver creates beside it). */
  RedrivePolicy: z.strictObject({ maxReceiveCount: z.number().int().min(1).max(1000) }).optional(),
});
export type SqsQueueAttributes = z.output<typeof sqsQueueAttributes>;

/** What a custom SQS setup may set (`setups[].options` in the config). */
export const sqsSetupOptions = z.strictObject({
  queueAttributes: sqsQueueAttributes.optional(),
  /** Messages per ReceiveMessage (1–10). */
  receiveBatchSize: z.number().int().min(1).max(10).optional(),
});

/** How a team's SQS options change a built-in setup, and what the result can claim. */
export const sqsCustomizer = defineCustomizer({
  schema: sqsSetupOptions,
  apply(base, custom) {
    const was = base.options as SqsSetupOptions;
    const attributes = custom.queueAttributes ?? {};
    const problems: SetupOptionProblem[] = [];
    if (attributes.ContentBasedDeduplication !== undefined && was.queueType !== 'fifo')
      problems.push(
        new SetupOptionProblem(
          'queueAttributes.ContentBasedDeduplication',
          'only FIFO queues deduplicate; extend sqs/fifo or sqs/fifo-dlq',
        ),
      );
    if (problems.length) return problems;
    const maxReceiveCount = attributes.RedrivePolicy?.maxReceiveCount;
    const deadLetter = was.deadLetter === true || maxReceiveCount !== undefined;
    return {
      options: defined({
        ...was,
        deadLetter: deadLetter || undefined,
        queueAttributes: custom.queueAttributes,
        receiveBatchSize: custom.receiveBatchSize,
      }),
      deadLetters: deadLetter,
      fixedMaxAttempts: maxReceiveCount,
      fixedMaxAttemptsKey: 'queueAttributes.RedrivePolicy.maxReceiveCount',
      notes: [],
    };
  },
});
