import { z } from 'zod';
import { defineCustomizer, defined, SetupOptionProblem } from '../custom-setup.ts';
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
  /**
   * The stream's replicas (`num_replicas`, default 1). Setups with `cluster` run on a cluster of
   * `brokerproof brokers up --cluster N` (docs/clusters.md), never on the single node.
   */
  replicas?: number;
  cluster?: boolean;
  /**
   * How long each pull request of `consume()` lives (the library's default: 30 s, with idle
   * heartbeats every half of it). A pull request lives on the node that led the consumer when it
   * was made; after the consumer's leader moves, the client only notices after two missed
   * heartbeats. Cluster setups use 5 s, so consumers pull again within seconds of a leader change.
   */
  pullExpiresMs?: number;
  /** A custom setup's JetStream stream settings (win over the driver's). */
  stream?: { storage?: 'file' | 'memory'; duplicateWindowMs?: number } | undefined;
  /** A custom setup's JetStream consumer settings (win over the driver's and the claim's). */
  consumer?: { ackWaitMs?: number; maxDeliver?: number } | undefined;
}

const setup = (s: Omit<Setup, 'options'> & { options: NatsSetupOptions }): Setup => s;

/**
 * NATS setups, each with the guarantee it claims (see docs/drivers/nats.md for what really holds).
 * All but one claim what the configuration gives; `jetstream-dedupe-double-ack` claims what NATS
 * documents as exactly-once, which brokerproof tests without endorsing it.
 */
export const NATS_SETUPS: readonly Setup[] = [
  setup({
    name: 'jetstream',
    description:
      'JetStream stream, publish acks, a durable pull consumer per group with explicit acks, AckWait redelivery and unlimited MaxDeliver. The server acknowledges a publish before it reaches the disk and fsyncs only every `sync_interval` (2 minutes by default): the claim holds across a process crash (broker-kill), not across a power loss or kernel crash on a single node (power-loss), which can lose acknowledged messages — see jetstream-sync-always.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    // A subject per key, and Nats-Expected-Last-Subject-Sequence on publish: an event store.
    eventLog: 'optimistic',
    options: { kind: 'jetstream', prefetch: 16 },
  }),
  setup({
    name: 'jetstream-sync-always',
    description:
      'jetstream on a server with `sync_interval: always`: the file store fsyncs every write before the publish ack, so an acknowledged message survives a power loss of the single node too (power-loss). The setting is server-wide, so this setup gets a server of its own (a dedicated native instance), and pays an fsync per write in throughput.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { kind: 'jetstream', prefetch: 16, server: { sync_interval: 'always' } },
  }),
  setup({
    name: 'jetstream-r3',
    description:
      'jetstream on a 3-node cluster with the stream replicated on every node (num_replicas 3, RAFT): a publish is acknowledged once a majority stored it, so an acknowledged message survives losing any one node — killed, or cut from the others (isolate-leader, kill-node, partition-halves). Runs on `brokerproof brokers up --cluster 3 --only nats`.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { kind: 'jetstream', prefetch: 16, replicas: 3, cluster: true, pullExpiresMs: 5_000 },
  }),
  setup({
    name: 'jetstream-r1',
    description:
      'jetstream on a 3-node cluster with the stream on one node only (num_replicas 1): the comparison for jetstream-r3. A process crash of that node keeps what it wrote (the claim holds across kill-node once it is back), but while it is down or cut off the stream is unavailable: sends fail and the case waits for the heal.',
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { kind: 'jetstream', prefetch: 16, replicas: 1, cluster: true, pullExpiresMs: 5_000 },
  }),
  setup({
    name: 'jetstream-dlq',
    description:
      'JetStream with MaxDeliver = N (3, or --max-attempts N) and the dead-letter pattern: max-deliveries advisories are captured in a stream and each exhausted message is moved to a DLQ stream (stored once per move by Nats-Msg-Id). The server publishes the advisory fire-and-forget, so a server crash at that moment could lose the move: the DLQ policy is claimed without broker faults (not tested with them).',
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 },
    claimBasis: 'configuration',
    resends: 'new-message',
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
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-key', 'total'],
    ackMode: 'manual',
    fanOut: true,
    options: { kind: 'jetstream', maxAckPending: 1, prefetch: 1 },
  }),
  setup({
    name: 'jetstream-dedupe-double-ack',
    description:
      "Nats-Msg-Id deduplication within the stream's duplicate window (2 min) plus double acks (ackAck): NATS's own exactly-once claim, tested, not endorsed. What the configuration gives: a resend within the window is stored once, and a confirmed ack is never followed by a redelivery; a consumer that dies after processing and before its ack is confirmed gets the message processed again after AckWait (at-least-once processing).",
    claim: { delivery: 'exactly-once', ordering: 'none' },
    claimBasis: 'vendor',
    vendorClaim:
      'Exactly-once: publishers set Nats-Msg-Id so the stream drops a resend within its duplicate window, and consumers double-ack (AckAck) so they know their ack arrived (NATS docs, JetStream Model Deep Dive: "Exactly Once Semantics"; JetStream concepts: "exactly once" quality of service).',
    resends: 'deduplicated',
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
    claimBasis: 'configuration',
    resends: 'new-message',
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
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'on-delivery',
    fanOut: false,
    options: { kind: 'core', queueGroups: 'shared', prefetch: 16 },
  }),
];

const ms = z.number().int().positive();

/** What a custom NATS setup may set (`setups[].options` in the config). */
export const natsSetupOptions = z.strictObject({
  /** Messages each client keeps requested (JetStream), or handlers at once (core). */
  prefetch: z.number().int().min(1).max(10_000).optional(),
  /** Producers set `Nats-Msg-Id`: the stream drops a resend within its duplicate window. */
  dedupe: z.boolean().optional(),
  /** Acknowledge with `ackAck` (the server confirms the ack). */
  doubleAck: z.boolean().optional(),
  stream: z
    .strictObject({
      storage: z.enum(['file', 'memory']).optional(),
      duplicateWindowMs: ms.optional(),
    })
    .optional(),
  consumer: z
    .strictObject({
      ackWaitMs: ms.optional(),
      /** MaxDeliver: deliveries before the message is given up (dead-lettered on jetstream-dlq). */
      maxDeliver: z.number().int().min(1).optional(),
      maxAckPending: z.number().int().min(1).optional(),
    })
    .optional(),
});

/** How a team's NATS options change a built-in setup, and what the result can claim. */
export const natsCustomizer = defineCustomizer({
  schema: natsSetupOptions,
  apply(base, custom) {
    const was = base.options as NatsSetupOptions;
    const problems: SetupOptionProblem[] = [];
    const problem = (key: string, message: string) => problems.push(new SetupOptionProblem(key, message));
    if (was.kind === 'core') {
      for (const key of ['dedupe', 'doubleAck', 'stream', 'consumer'] as const)
        if (custom[key] !== undefined)
          problem(key, `core NATS has no stream, consumer or acks; extend nats/jetstream`);
    }
    const maxDeliver = custom.consumer?.maxDeliver;
    if (maxDeliver !== undefined && !was.deadLetter)
      problem(
        'consumer.maxDeliver',
        'without a dead-letter stream a message is silently given up after MaxDeliver deliveries; extend nats/jetstream-dlq',
      );
    if (problems.length) return problems;
    const maxAckPending = custom.consumer?.maxAckPending ?? was.maxAckPending;
    const dedupe = custom.dedupe ?? was.dedupe === true;
    const doubleAck = custom.doubleAck ?? was.doubleAck === true;
    // NATS documents exactly-once for Nats-Msg-Id dedupe plus double acks; without both, at-least-once.
    const exactlyOnce = base.claim.delivery === 'exactly-once' && dedupe && doubleAck;
    const ordered = maxAckPending === 1;
    return {
      options: defined({
        ...was,
        prefetch: custom.prefetch ?? was.prefetch,
        dedupe: dedupe || undefined,
        doubleAck: doubleAck || undefined,
        maxAckPending,
        stream: custom.stream,
        consumer: custom.consumer && defined({ ackWaitMs: custom.consumer.ackWaitMs, maxDeliver }),
      }),
      delivery: base.claim.delivery === 'exactly-once' && !exactlyOnce ? 'at-least-once' : undefined,
      orderingScopes: was.kind === 'core' ? base.orderingScopes : ordered ? ['per-key', 'total'] : ['none'],
      deadLetters: was.deadLetter === true,
      fixedMaxAttempts: maxDeliver,
      fixedMaxAttemptsKey: 'consumer.maxDeliver',
      notes:
        ordered && was.maxAckPending !== 1 ? ['MaxAckPending 1: one message in flight, in stream order'] : [],
    };
  },
});
