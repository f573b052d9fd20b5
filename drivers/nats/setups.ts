import type { Setup } from '../driver.ts';

/** What the NATS driver builds for a setup. */
export interface NatsSetupOptions {
  [key: string]: unknown;
  /** Core NATS (no storage, no acks) or a JetStream stream with durable pull consumers. */
  kind: 'core' | 'jetstream';
  /**
   * Core: consumers of one subscriber group share a queue group named after it (`per-group`), or
   * every consumer of the case joins one queue group (`shared`).
   */
  queueGroups?: 'per-group' | 'shared';
  /** Producers set `Nats-Msg-Id`: the stream drops a resend within its duplicate window. */
  dedupe?: boolean;
  /** Acknowledge with `ackAck` (the server confirms the ack) instead of a fire-and-forget `ack`. */
  doubleAck?: boolean;
  /**
   * MaxDeliver = N, and the dead-letter pattern: max-deliveries advisories are captured in a
   * stream, and a mover copies each exhausted message (fetched by stream sequence) to a DLQ stream.
   */
  deadLetter?: boolean;
  /** Consumer MaxAckPending (1: one message in flight at a time, in stream order). */
  maxAckPending?: number;
  /**
   * Core: handlers running at once per consumer. JetStream: messages each client keeps requested
   * (`consume` max_messages); how many are unacknowledged at once is bounded by MaxAckPending.
   */
  prefetch: number;
}

const setup = (s: Omit<Setup, 'options'> & { options: NatsSetupOptions }): Setup => s;

/** NATS setups, each with the guarantee it claims (see docs/drivers/nats.md for what really holds). */
export const NATS_SETUPS: readonly Setup[] = [
  setup({
    name: 'jetstream',
    description:
      'JetStream stream, publish acks, a durable pull consumer per group with explicit acks, AckWait redelivery and unlimited MaxDeliver.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { kind: 'jetstream', prefetch: 16 },
  }),
  setup({
    name: 'jetstream-dlq',
    description:
      'JetStream with MaxDeliver = N and the dead-letter pattern: max-deliveries advisories are captured in a stream and each exhausted message is moved to a DLQ stream.',
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 },
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { kind: 'jetstream', deadLetter: true, prefetch: 16 },
  }),
  setup({
    name: 'jetstream-ordered',
    description:
      'JetStream durable consumer with MaxAckPending 1: one message in flight at a time, in stream order, whichever client pulls it (keys map to subjects).',
    claim: { delivery: 'at-least-once', ordering: 'per-key' },
    orderingScopes: ['per-key', 'total'],
    ackMode: 'manual',
    fanOut: true,
    options: { kind: 'jetstream', maxAckPending: 1, prefetch: 1 },
  }),
  setup({
    name: 'jetstream-dedupe-double-ack',
    description:
      "Nats-Msg-Id deduplication within the stream's duplicate window plus double acks (ackAck): what NATS documents as exactly-once.",
    claim: { delivery: 'exactly-once', ordering: 'none' },
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { kind: 'jetstream', dedupe: true, doubleAck: true, prefetch: 16 },
  }),
  setup({
    name: 'core',
    description:
      'Core NATS publish/subscribe: no storage, no acks. Every subscriber group gets every message; the members of a group share it as a queue group named after the group.',
    claim: { delivery: 'at-most-once', ordering: 'none' },
    orderingScopes: ['none'],
    ackMode: 'on-delivery',
    fanOut: true,
    options: { kind: 'core', queueGroups: 'per-group', prefetch: 16 },
  }),
  setup({
    name: 'core-queue-group',
    description:
      'Core NATS queue group: every consumer of the case competes for the subject, each message goes to one member; no storage, no acks.',
    claim: { delivery: 'at-most-once', ordering: 'none' },
    orderingScopes: ['none'],
    ackMode: 'on-delivery',
    fanOut: false,
    options: { kind: 'core', queueGroups: 'shared', prefetch: 16 },
  }),
];
