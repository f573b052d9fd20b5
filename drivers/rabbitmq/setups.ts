import type { Setup } from '../driver.ts';

export type QueueKind = 'quorum' | 'classic';

/** What the RabbitMQ driver builds for a setup. */
export interface RabbitSetupOptions {
  [key: string]: unknown;
  queueType: QueueKind;
  /** Consumers get messages without acknowledging (noAck). */
  autoAck?: boolean;
  /** The broker dead-letters after this many deliveries (quorum `x-delivery-limit` = N − 1). */
  deliveryLimit?: boolean;
  /** Retries go through TTL retry queues (one per delay) back to the work queue; then dead-letter. */
  retryQueues?: boolean;
  singleActiveConsumer?: boolean;
  prefetch: number;
}

const setup = (s: Omit<Setup, 'options'> & { options: RabbitSetupOptions }): Setup => s;

/** RabbitMQ setups, each with the guarantee it honestly claims. */
export const RABBITMQ_SETUPS: readonly Setup[] = [
  setup({
    name: 'quorum',
    description: 'Quorum queue, publisher confirms, manual ack after processing.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'quorum', prefetch: 10 },
  }),
  setup({
    name: 'classic',
    description:
      'Durable classic queue, persistent messages, publisher confirms, manual ack after processing.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'classic', prefetch: 10 },
  }),
  setup({
    name: 'auto-ack',
    description: 'Consumers with noAck: the broker forgets a message as soon as it is sent to a consumer.',
    claim: { delivery: 'at-most-once', ordering: 'none' },
    orderingScopes: ['none'],
    ackMode: 'on-delivery',
    fanOut: false,
    options: { queueType: 'classic', autoAck: true, prefetch: 10 },
  }),
  setup({
    name: 'quorum-dlx',
    description:
      'Quorum queue with x-delivery-limit and a dead-letter exchange: a message is dead-lettered after N deliveries.',
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 },
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'quorum', deliveryLimit: true, prefetch: 10 },
  }),
  setup({
    name: 'quorum-retry',
    description:
      'Retries with backoff through TTL retry queues (one per delay) that dead-letter back to the work queue; after N deliveries, rejected to the dead-letter queue.',
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 },
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'quorum', retryQueues: true, prefetch: 10 },
  }),
  setup({
    name: 'single-active-consumer',
    description: 'Quorum queue with x-single-active-consumer: one consumer at a time, in queue order.',
    claim: { delivery: 'at-least-once', ordering: 'total' },
    orderingScopes: ['total', 'per-key'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'quorum', singleActiveConsumer: true, prefetch: 10 },
  }),
  setup({
    name: 'fanout',
    description: 'A fanout exchange with one quorum queue per subscriber group.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { queueType: 'quorum', prefetch: 10 },
  }),
];
