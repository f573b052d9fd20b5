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
