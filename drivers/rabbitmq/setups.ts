import { z } from 'zod';
import { defineCustomizer, defined, SetupOptionProblem } from '../custom-setup.ts';
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
  /**
   * How a quorum queue dead-letters (`x-dead-letter-strategy`). `at-most-once` (RabbitMQ's default):
   * the message is removed from the source queue and republished to the DLX without publisher
   * confirms — lost if the target queue cannot take it. `at-least-once` (RabbitMQ ≥ 3.10, needs
   * `x-overflow: reject-publish` and the `stream_queue` feature flag): the source queue keeps the
   * message until the dead-letter target confirms it, retrying — none lost, duplicates possible.
   */
  deadLetterStrategy?: 'at-most-once' | 'at-least-once';
  /** Retries go through TTL retry queues (one per delay) back to the work queue; then dead-letter. */
  retryQueues?: boolean;
  singleActiveConsumer?: boolean;
  prefetch: number;
  /** A custom setup's own queue arguments, declared as given (x-delivery-limit wins over N − 1). */
  queueArguments?: Record<string, unknown>;
  /** Producers wait for publisher confirms (default); false: they publish and go on (custom setups). */
  publisherConfirms?: boolean;
  /**
   * Publishes are `mandatory` (default): one that routes to no queue comes back and is `fail`.
   * false: RabbitMQ confirms it like any other, and the producer records `ok` (custom setups).
   */
  mandatory?: boolean;
  /**
   * Runs only on a cluster of `brokerproof brokers up --cluster N` (docs/clusters.md), never on
   * the single node.
   */
  cluster?: boolean;
  /** A quorum queue's members (`x-quorum-initial-group-size`; default: every node). */
  initialGroupSize?: number;
}

const setup = (s: Omit<Setup, 'options'> & { options: RabbitSetupOptions }): Setup => s;

/**
 * RabbitMQ setups, each with the guarantee it honestly claims — what the broker gives as
 * configured (no RabbitMQ setup rests on a vendor claim). RabbitMQ keeps no message ids: a
 * producer's resend is a new message.
 */
export const RABBITMQ_SETUPS: readonly Setup[] = [
  setup({
    name: 'quorum',
    description:
      'Quorum queue, publisher confirms, manual ack after processing: a confirmed message is replicated, an unacknowledged one is redelivered (at-least-once). The Raft log is fsynced before a confirm, so a confirmed message also survives a power loss of a single node (power-loss).',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'quorum', prefetch: 10 },
  }),
  setup({
    name: 'classic',
    description:
      'Durable classic queue, persistent messages, publisher confirms, manual ack after processing (at-least-once). Claimed across a broker crash (broker-kill), not across a power loss (power-loss): brokerproof measured confirmed messages lost when unsynced writes were dropped (docs/findings.md).',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'classic', prefetch: 10 },
  }),
  setup({
    name: 'quorum-cluster',
    description:
      'Quorum queue with 3 members on a 3-node cluster (Raft), publisher confirms, manual ack after processing: a publish is confirmed once a majority of members has it on disk, so a confirmed message survives losing any one node — killed, or cut from the others (kill-node, kill-leader, partition-halves); unacknowledged messages are redelivered (at-least-once). Clients connect to every node and move to the next when theirs fails. Runs on `brokerproof brokers up --cluster 3 --only rabbitmq`.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'quorum', prefetch: 10, cluster: true, initialGroupSize: 3 },
  }),
  setup({
    name: 'classic-cluster',
    description:
      'Durable classic queue on a 3-node cluster, persistent messages, publisher confirms, manual ack after processing: the queue lives on one node (n1, where it is declared; not mirrored), and the other nodes only route to it. At-least-once as configured, but available only while n1 runs and is in the majority: while n1 is killed or cut off (pause_minority pauses it), the queue cannot take or give messages, and the case waits for the heal. The comparison for quorum-cluster: brokerproof measured RabbitMQ 3.10 confirming and dropping publishes made through the other nodes while n1 was down (docs/findings-rabbitmq-cluster.md).',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'classic', prefetch: 10, cluster: true },
  }),
  setup({
    name: 'auto-ack',
    description:
      'Consumers with noAck: the broker forgets a message as soon as it is sent to a consumer, so a crash loses what the consumer held (at-most-once).',
    claim: { delivery: 'at-most-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'on-delivery',
    fanOut: false,
    options: { queueType: 'classic', autoAck: true, prefetch: 10 },
  }),
  setup({
    name: 'quorum-dlx',
    description:
      "Quorum queue with x-delivery-limit = N − 1 (N = 3, or --max-attempts N) and a dead-letter exchange with RabbitMQ's default at-most-once dead-lettering: after N deliveries a message is republished to the dead-letter queue without publisher confirms and removed from the work queue. Delivery is at-least-once; the DLQ policy (every poison message dead-lettered after exactly N deliveries) holds without broker faults only — a dead-lettered message is lost if the dead-letter queue cannot take it (RabbitMQ docs, Dead Letter Exchanges: Safety). See quorum-dlx-at-least-once.",
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'quorum', deliveryLimit: true, deadLetterStrategy: 'at-most-once', prefetch: 10 },
  }),
  setup({
    name: 'quorum-dlx-at-least-once',
    description:
      'Quorum queue with x-delivery-limit = N − 1 (N = 3, or --max-attempts N), a dead-letter exchange, x-dead-letter-strategy at-least-once and x-overflow reject-publish (RabbitMQ ≥ 3.10, feature flag stream_queue): the work queue keeps a dead-lettered message until the dead-letter queue has confirmed it, retrying meanwhile. Delivery is at-least-once, and the DLQ policy holds through broker faults too: dead-lettered messages are not lost (a retried transfer can put one in the DLQ twice).',
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'quorum', deliveryLimit: true, deadLetterStrategy: 'at-least-once', prefetch: 10 },
  }),
  setup({
    name: 'quorum-retry',
    description:
      'Retries with backoff through TTL retry queues (one per attempt; a failed message is republished there with confirms, then acked) that dead-letter back to the work queue when the TTL runs out; after N deliveries (3, or --max-attempts N) it is rejected to the dead-letter queue. Both moves are at-most-once dead-lettering (classic retry queues cannot do otherwise), so at-least-once and the DLQ policy hold without broker faults only.',
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'quorum', retryQueues: true, prefetch: 10 },
  }),
  setup({
    name: 'single-active-consumer',
    description:
      'Quorum queue with x-single-active-consumer: one consumer at a time, in queue order (at-least-once, total order).',
    claim: { delivery: 'at-least-once', ordering: 'total' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['total', 'per-key'],
    ackMode: 'manual',
    fanOut: false,
    options: { queueType: 'quorum', singleActiveConsumer: true, prefetch: 10 },
  }),
  setup({
    name: 'fanout',
    description:
      'A fanout exchange with one quorum queue per subscriber group (at-least-once in every group).',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { queueType: 'quorum', prefetch: 10 },
  }),
];

/** Queue arguments a custom setup may set (RabbitMQ names; others are rejected). */
const queueArguments = z.strictObject({
  'x-queue-type': z.enum(['quorum', 'classic']).optional(),
  /** Redeliveries before the message is dead-lettered: N deliveries are the first plus N − 1 more. */
  'x-delivery-limit': z.number().int().min(0).optional(),
  'x-dead-letter-strategy': z.enum(['at-most-once', 'at-least-once']).optional(),
  'x-overflow': z.enum(['drop-head', 'reject-publish', 'reject-publish-dlx']).optional(),
  'x-max-length': z.number().int().positive().optional(),
  'x-single-active-consumer': z.boolean().optional(),
});

/** What a custom RabbitMQ setup may set (`setups[].options` in the config). */
export const rabbitmqSetupOptions = z.strictObject({
  /** Channel prefetch (basic.qos): unacknowledged deliveries a consumer holds at once. */
  prefetch: z.number().int().min(1).max(65_535).optional(),
  /** Consumers with noAck (the broker forgets a message once sent): at-most-once. */
  autoAck: z.boolean().optional(),
  /** Producers wait for publisher confirms (default true); false: fire and forget, nothing confirmed. */
  publisherConfirms: z.boolean().optional(),
  /**
   * Publishes are mandatory (default true); false: a message that routes to no queue is confirmed
   * like any other, as producers that do not set the flag see it.
   */
  mandatory: z.boolean().optional(),
  queueArguments: queueArguments.optional(),
});
export type RabbitmqCustomOptions = z.output<typeof rabbitmqSetupOptions>;

/** How a team's RabbitMQ options change a built-in setup, and what the result can claim. */
export const rabbitmqCustomizer = defineCustomizer({
  schema: rabbitmqSetupOptions,
  apply(base, custom) {
    const was = base.options as RabbitSetupOptions;
    const args = custom.queueArguments ?? {};
    const problems: SetupOptionProblem[] = [];
    const problem = (key: string, message: string) => problems.push(new SetupOptionProblem(key, message));
    const queueType = args['x-queue-type'] ?? was.queueType;
    const limit = args['x-delivery-limit'];
    if (limit !== undefined && queueType !== 'quorum')
      problem('queueArguments.x-delivery-limit', 'only quorum queues have a delivery limit');
    if (limit !== undefined && was.retryQueues)
      problem(
        'queueArguments.x-delivery-limit',
        `${base.name} counts attempts through its retry queues; extend rabbitmq/quorum-dlx instead`,
      );
    const deliveryLimit = was.deliveryLimit === true || limit !== undefined;
    const strategy = args['x-dead-letter-strategy'] ?? was.deadLetterStrategy;
    if (args['x-dead-letter-strategy'] !== undefined && !deliveryLimit)
      problem(
        'queueArguments.x-dead-letter-strategy',
        'the queue dead-letters nothing: set x-delivery-limit too, or extend rabbitmq/quorum-dlx',
      );
    if (
      strategy === 'at-least-once' &&
      args['x-overflow'] !== undefined &&
      args['x-overflow'] !== 'reject-publish'
    )
      problem(
        'queueArguments.x-overflow',
        'x-dead-letter-strategy at-least-once needs x-overflow reject-publish (RabbitMQ silently falls back to at-most-once otherwise)',
      );
    if (args['x-single-active-consumer'] !== undefined && queueType === 'classic' && was.fanOut)
      problem('queueArguments.x-single-active-consumer', 'set it on a quorum setup');
    if (args['x-overflow'] === 'reject-publish-dlx' && !deliveryLimit)
      problem(
        'queueArguments.x-overflow',
        'reject-publish-dlx needs a dead-letter exchange (x-delivery-limit)',
      );
    if (problems.length) return problems;

    const autoAck = custom.autoAck ?? was.autoAck === true;
    const singleActive = args['x-single-active-consumer'] ?? was.singleActiveConsumer === true;
    // Past x-max-length the default overflow (drop-head) drops the oldest messages: confirmed ones too.
    const drops = args['x-max-length'] !== undefined && (args['x-overflow'] ?? 'drop-head') === 'drop-head';
    const options = defined({
      ...was,
      queueType,
      prefetch: custom.prefetch ?? was.prefetch,
      autoAck: autoAck || undefined,
      deliveryLimit: deliveryLimit || undefined,
      deadLetterStrategy: deliveryLimit ? (strategy ?? 'at-most-once') : undefined,
      singleActiveConsumer: singleActive || undefined,
      queueArguments: custom.queueArguments,
      publisherConfirms: custom.publisherConfirms === false ? false : undefined,
      mandatory: custom.mandatory === false ? false : undefined,
    });
    const unconfirmed = custom.publisherConfirms === false;
    // The claim stays: a binding is there in normal operation. What breaks it (a power loss that
    // dropped the binding, docs/findings.md) is what a case with faults is there to find.
    const unroutableConfirmed = custom.mandatory === false && !unconfirmed;
    return {
      options,
      delivery:
        autoAck || drops || unconfirmed
          ? 'at-most-once'
          : base.claim.delivery === 'at-most-once'
            ? 'at-least-once'
            : undefined,
      ackMode: autoAck ? 'on-delivery' : 'manual',
      orderingScopes: singleActive ? ['total', 'per-key'] : ['none'],
      deadLetters: deliveryLimit,
      fixedMaxAttempts: limit !== undefined ? limit + 1 : undefined,
      fixedMaxAttemptsKey: 'queueArguments.x-delivery-limit',
      notes: [
        ...(drops ? ['x-max-length with drop-head overflow drops the oldest messages: at-most-once'] : []),
        ...(autoAck ? ['consumers with noAck: at-most-once'] : []),
        ...(unconfirmed ? ['no publisher confirms: no send is confirmed (at-most-once)'] : []),
        ...(unroutableConfirmed
          ? ['publishes not mandatory: a message that routes to no queue is confirmed and dropped']
          : []),
      ],
    };
  },
});
