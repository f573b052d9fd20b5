import { z } from 'zod';
import { defineCustomizer, defined, SetupOptionProblem } from '../custom-setup.ts';
import type { Setup } from '../driver.ts';

/**
 * The memory broker's setups, each with the guarantee it honestly claims. It is brokerproof's own
 * reference broker: every claim follows from how it is built (`claimBasis: 'configuration'`), and
 * it keeps no message ids, so a producer's resend is a new message.
 */
export const MEMORY_SETUPS: readonly Setup[] = [
  {
    name: 'queue',
    description:
      'Work queue with manual acks after processing and a visibility timeout; fan-out binds a queue per group. Unacknowledged messages come back: at-least-once.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    // The reference for brokers that can be the event store (a journal per key, expected positions).
    eventLog: 'optimistic',
    options: { kind: 'queue', prefetch: 4 },
  },
  {
    name: 'queue-dlq',
    description:
      'Work queue with a delivery limit of N (3, or --max-attempts N): a message is dead-lettered instead of being delivered an (N + 1)-th time, and on reject. Dead-lettering moves it within the broker, so none is lost on the way.',
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { kind: 'queue', prefetch: 4 },
  },
  {
    name: 'log',
    description:
      'Partitioned log with consumer groups, keys hashed to partitions, offsets committed after processing; pipelines forward, then commit (a crash in between forwards twice).',
    claim: { delivery: 'at-least-once', ordering: 'per-partition' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'manual',
    fanOut: true,
    pipeline: 'sequential',
    options: { kind: 'log' },
  },
  {
    name: 'log-transactions',
    description:
      'Partitioned log whose consumers forward to an output log and commit their input offset in one transaction; readers see committed output only. Exactly-once holds for consume-transform-produce through that pipeline only: a producer resend of a send whose outcome was unknown is a new message, and scenarios that acknowledge with a plain commit get at-least-once.',
    claim: { delivery: 'exactly-once', ordering: 'per-partition' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'manual',
    fanOut: false,
    pipeline: 'transactional',
    options: { kind: 'log' },
  },
  {
    name: 'auto-ack',
    description:
      'Work queue whose broker counts a message as acknowledged the moment it is delivered: a crash loses what the consumer held, nothing comes twice (at-most-once).',
    claim: { delivery: 'at-most-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'on-delivery',
    fanOut: true,
    options: { kind: 'queue', prefetch: 4 },
  },
];

/** What a custom memory setup may set (`setups[].options` in the config). */
export const memorySetupOptions = z.strictObject({
  /** Unacknowledged deliveries a queue consumer holds at once. */
  prefetch: z.number().int().min(1).max(10_000).optional(),
  /** Queues: dead-letter a message instead of delivering it an (N + 1)-th time. */
  deliveryLimit: z.number().int().min(1).optional(),
  /** Queues: the broker counts a message acknowledged the moment it is delivered (at-most-once). */
  autoAck: z.boolean().optional(),
});

/** How a team's memory-broker options change a built-in setup, and what the result can claim. */
export const memoryCustomizer = defineCustomizer({
  schema: memorySetupOptions,
  apply(base, custom) {
    const was = base.options as { kind: 'queue' | 'log'; prefetch?: number; deliveryLimit?: number };
    if (was.kind === 'log') {
      const keys = (['prefetch', 'deliveryLimit', 'autoAck'] as const).filter((k) => custom[k] !== undefined);
      if (keys.length)
        return keys.map(
          (k) =>
            new SetupOptionProblem(k, `the memory log has no ${k}; extend memory/queue or memory/queue-dlq`),
        );
    }
    const autoAck = custom.autoAck ?? base.ackMode === 'on-delivery';
    const deadLetters = base.claim.maxAttempts !== undefined || custom.deliveryLimit !== undefined;
    return {
      options: defined({
        ...was,
        prefetch: custom.prefetch ?? was.prefetch,
        deliveryLimit: custom.deliveryLimit,
      }),
      delivery: autoAck ? 'at-most-once' : was.kind === 'queue' ? 'at-least-once' : undefined,
      ackMode: autoAck ? 'on-delivery' : 'manual',
      deadLetters,
      fixedMaxAttempts: custom.deliveryLimit,
      fixedMaxAttemptsKey: 'deliveryLimit',
      notes: [],
    };
  },
});
