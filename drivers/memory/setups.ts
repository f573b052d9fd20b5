import type { Setup } from '../driver.ts';

/** The memory broker's setups, each with the guarantee it honestly claims. */
export const MEMORY_SETUPS: readonly Setup[] = [
  {
    name: 'queue',
    description:
      'Work queue with manual acks after processing and a visibility timeout; fan-out binds a queue per group.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { kind: 'queue', prefetch: 4 },
  },
  {
    name: 'queue-dlq',
    description: 'Work queue that dead-letters a message instead of delivering it a fourth time.',
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 },
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { kind: 'queue', prefetch: 4 },
  },
  {
    name: 'log',
    description:
      'Partitioned log with consumer groups, keys hashed to partitions, offsets committed after processing; pipelines forward, then commit.',
    claim: { delivery: 'at-least-once', ordering: 'per-partition' },
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'manual',
    fanOut: true,
    pipeline: 'sequential',
    options: { kind: 'log' },
  },
  {
    name: 'log-transactions',
    description:
      'Partitioned log whose consumers forward to an output log and commit their input offset in one transaction; readers see committed output only.',
    claim: { delivery: 'exactly-once', ordering: 'per-partition' },
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'manual',
    fanOut: false,
    pipeline: 'transactional',
    options: { kind: 'log' },
  },
  {
    name: 'auto-ack',
    description: 'Work queue whose broker counts a message as acknowledged the moment it is delivered.',
    claim: { delivery: 'at-most-once', ordering: 'none' },
    orderingScopes: ['none'],
    ackMode: 'on-delivery',
    fanOut: true,
    options: { kind: 'queue', prefetch: 4 },
  },
];
