/**
 * The driver contract. A driver is a thin adapter between the runner and one broker: it creates a
 * case's topology, and hands out producers and consumers that report what the broker said. Drivers
 * never judge and never throw for a broker outcome: a send the broker refused is `fail`, a send whose
 * fate is unknown (timeout, connection lost) is `info` — when in doubt, `info`.
 *
 * The same contract covers logs (Kafka: partitions, offsets, consumer groups), queues (RabbitMQ:
 * confirms, acks, dead-letter exchanges; SQS: visibility timeout, redrive), streams with acks (NATS
 * JetStream: max-deliver advisories) and subscriptions (Pub/Sub): what differs is declared as
 * capabilities and setups, so the runner has no broker-specific branches.
 */

import type { FaultTargets } from '../core/fault-targets.ts';
import type { Claim, ConcurrencyClaim, OrderingScope } from '../core/guarantee.ts';
import type { HostPort } from '../provision/endpoints.ts';

export interface DriverCapabilities {
  /** Several subscriber groups can each receive every message. */
  fanOut: boolean;
  /** Producers and consumers can run in their own OS processes (so a crash can be a real SIGKILL). */
  processIsolation: boolean;
  /**
   * How long consumers must stay quiet after `backlog()` reaches 0 before the drain ends (longer
   * when the backlog cannot count messages in flight).
   */
  drainSettleMs: number;
  /**
   * The shortest drain deadline that can end in quiet on this broker (a drain cut off by its
   * deadline leaves the case unknown): the runner raises a shorter configured one to it.
   */
  minDrainMs?: number | undefined;
  /**
   * The broker cannot count what is outstanding, so `drainSettleMs` is long; for an at-least-once
   * claim the runner may end the drain after the ordinary quiet once the history shows every
   * message processed or dead-lettered in every group (runner/settlement.ts).
   */
  settlesByHistory?: boolean | undefined;
  /**
   * The longest the broker waits on a silent client before it acts on it (session timeout,
   * visibility timeout, ack wait). Fault durations are drawn up to well past it, so some faults
   * outlast it. Absent: a couple of seconds.
   */
  silenceTimeoutMs?: number | undefined;
  /**
   * A consumer can be connected through an address it is handed (`ConsumerOptions.via`): its
   * clients talk to one host:port and nothing else, so a proxy there carries all its traffic.
   * Not Kafka: its clients reconnect to the addresses the broker advertises.
   */
  consumerVia?: boolean | undefined;
  /**
   * The slowest sending rate (messages/s) that is still normal for this broker here: the load
   * deadline allows this long to send every message. Absent: 4 000/s (runner/deadlines.ts).
   */
  slowestSendRate?: number | undefined;
  /**
   * Most sends one producer keeps in flight however big the case (runner/scale.ts widens the
   * scenario's window up to 256 in big cases). For a broker that serves a queue's requests in
   * turn, where many sends in flight starve the consumers of the same queue.
   */
  maxSendWindow?: number | undefined;
}

/** How one consumer connects. */
export interface ConsumerOptions {
  /**
   * Connect through this address instead of the consumers' own (a Toxiproxy listener in front of
   * the same broker, so a fault can cut this consumer's link alone). Drivers with `consumerVia` only.
   */
  via?: HostPort | undefined;
}

/** When a delivery counts as acknowledged. */
export type AckMode =
  /** The application acknowledges explicitly (ack / nack / offset commit). */
  | 'manual'
  /** The broker treats a delivery as acknowledged (RabbitMQ noAck, auto-commit on receipt). */
  | 'on-delivery';

/**
 * Where a setup's claim comes from.
 *
 * - `configuration`: what the broker gives as configured — the claim follows from the mechanisms
 *   the setup turns on (publisher confirms + manual acks + redelivery → at-least-once; ack on
 *   receipt → at-most-once; offsets committed with the output in one transaction → exactly-once
 *   for that pipeline). brokerproof stands behind it, and the verdict says whether it held.
 * - `vendor`: what the vendor documents this configuration to give, although its mechanisms do
 *   not imply it. brokerproof tests the vendor's word and does not endorse it: a report shows it
 *   as the vendor's claim (quoting `vendorClaim`), so a violation reads as "the vendor's claim
 *   failed here", not as a claim of ours.
 */
export type ClaimBasis = 'configuration' | 'vendor';

/**
 * What the broker makes of an application's resend: the same message id sent again because the
 * first send's outcome was unknown (a timeout, a lost connection).
 *
 * - `deduplicated`: stored once (NATS `Nats-Msg-Id` within the stream's duplicate window, SQS FIFO
 *   `MessageDeduplicationId` within 5 minutes) — the setup's description names the window.
 * - `new-message`: stored again, as a new message. Kafka's idempotent producer drops only its own
 *   internal retries within one producer session, not a resend by the application; RabbitMQ and
 *   SQS standard queues keep no ids at all. An exactly-once claim then covers each message written
 *   once; a resend shows up as a second message, which the claim does not cover.
 */
export type ResendHandling = 'deduplicated' | 'new-message';

/** A named configuration of a driver plus the guarantee it honestly claims. */
export interface Setup {
  name: string;
  /**
   * What the setup is and what each part of its claim rests on — including where it stops holding
   * (e.g. "the DLQ policy holds without broker faults"). Shown beside the claim in reports.
   */
  description: string;
  claim: Claim;
  /** Where the claim comes from: the configuration's own mechanisms, or the vendor's word. */
  claimBasis: ClaimBasis;
  /**
   * With `claimBasis: 'vendor'` (and only then): one line saying what the vendor documents, and
   * the document it comes from — e.g. "… (NATS docs, JetStream Model Deep Dive: Exactly Once)".
   */
  vendorClaim?: string | undefined;
  /** What the broker does with an application's resend of a message whose send timed out. */
  resends: ResendHandling;
  /** Every ordering scope this setup honours (its claim names the one checked by default). */
  orderingScopes: readonly OrderingScope[];
  ackMode: AckMode;
  /** Several subscriber groups each get every message. */
  fanOut: boolean;
  /**
   * Consume-transform-produce: deliveries can be forwarded to an output destination together with
   * their acknowledgement — in one transaction (`transactional`: both or neither), or one after the
   * other (`sequential`: a crash in between forwards twice). Absent: no pipelines.
   */
  pipeline?: 'transactional' | 'sequential' | undefined;
  /** Deliveries carry their position in the batch the broker handed over (`Delivery.batch`). */
  deliversInBatches?: boolean | undefined;
  /**
   * The broker can be the event store (`readKey`, one key a stream): `optimistic` when a send can
   * carry the position it expects (`expectPosition`) and the broker refuses a stale one;
   * `single-writer` when it takes any append.
   */
  eventLog?: ConcurrencyClaim | undefined;
  /** Why this setup cannot run with this driver's broker (e.g. SNS on an emulator without it). */
  unavailable?: string | undefined;
  /** Driver-specific settings (queue type, partitions, timeouts); serialisable. */
  options: Readonly<Record<string, unknown>>;
  /** A custom setup (from the config): the built-in setup it extends, as `driver/setup`. */
  extends?: string | undefined;
}

/** What one case needs from the broker. */
export interface TopologySpec {
  /** Unique per case; drivers derive resource names from it so cases never share state. */
  caseId: string;
  setup: Setup;
  /** Subscriber groups; each must receive every message (one group = a plain work queue). */
  groups: readonly string[];
  /** Partitions for log-like brokers (ignored by others). */
  partitions: number;
  /** Dead-letter after this many deliveries (when the setup dead-letters). */
  maxAttempts?: number | undefined;
  /** Drawn with the workload: drivers that randomise anything (the memory broker) seed from it. */
  seed: number;
  /** Create an output destination too (pipeline scenarios; setups with `pipeline`). */
  output?: boolean | undefined;
}

export interface OutgoingMessage {
  id: string;
  key?: string | undefined;
  poison: boolean;
  payload: Uint8Array;
  /**
   * The broker as an event store (`Setup.eventLog` optimistic): append only if the key's last
   * message is at this broker position (0: the key has none yet). A stale position is a definite
   * `fail` with error `conflict`.
   */
  expectPosition?: number | undefined;
}

/** One message of a key, as the broker keeps it (`TopologyClients.readKey`). */
export interface KeyedEntry {
  payload: Uint8Array;
  /** The broker's position of the message (a JetStream stream sequence). */
  position: number;
}

export type SendOutcome =
  | { status: 'ok'; partition?: number | undefined; offset?: string | number | undefined }
  | { status: 'fail'; error: string }
  /**
   * Unknown. `final` when no answer ever comes by design (fire-and-forget): an application would
   * not send it again, so the producer does not retry it.
   */
  | { status: 'info'; error: string; final?: boolean };

export type AckOutcome =
  | { status: 'ok' }
  | { status: 'fail'; error: string }
  | { status: 'info'; error: string };

export interface Delivery {
  id: string;
  /** Destination name as recorded in the history (the same `dest` the send recorded). */
  dest: string;
  key?: string | undefined;
  poison: boolean;
  partition?: number | undefined;
  offset?: string | number | undefined;
  /** The broker says it delivered this message before. */
  redelivered?: boolean | undefined;
  /** The broker's count of deliveries of this message, this one included, when it keeps one. */
  deliveryCount?: number | undefined;
  payload: Uint8Array;
  /**
   * Where it sat in what the broker handed over at once (a Kafka fetch batch, an SQS receive): a
   * crash in the middle of a batch leaves its later messages unhandled and, where acknowledgements
   * are flushed per batch, its earlier acks unflushed.
   */
  batch?: { index: number; size: number } | undefined;
  /** On a dead-letter destination: what the broker says about the original (x-death, receive count). */
  deadLetter?: { deliveryCount?: number | undefined; reason?: string | undefined } | undefined;
  /** Acknowledge (or commit the offset covering) this message. */
  ack(): Promise<AckOutcome>;
  /** Give the message back: requeue (optionally after a delay, for backoff) or reject it. */
  nack(options: { requeue: boolean; delayMs?: number | undefined }): Promise<AckOutcome>;
  /**
   * Pipelines only: send `message` to the output destination and acknowledge this delivery (see
   * `Setup.pipeline`). `beforeCommit` runs between the send and the commit — where a crash shows
   * whether the two are atomic. `ok` once committed, `fail` if definitely aborted, `info` if unknown.
   */
  forward?(message: OutgoingMessage, hooks?: { beforeCommit?: () => Promise<void> }): Promise<AckOutcome>;
}

export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

export interface Producer {
  send(message: OutgoingMessage): Promise<SendOutcome>;
  close(): Promise<void>;
}

export interface Consumer {
  /** Starts delivering; the handler is awaited before the consumer's next delivery of the same partition/slot. */
  start(handler: DeliveryHandler): Promise<void>;
  /**
   * Dies abruptly: no further acks, connection torn down without a goodbye, so the broker must
   * notice on its own (visibility timeout, session timeout, closed socket).
   */
  crash(): Promise<void>;
  /** Stops cleanly. */
  close(): Promise<void>;
}

/** Producers and consumers of one case's topology. */
export interface TopologyClients {
  /** The destination producers send to, as recorded in `dest`. */
  readonly dest: string;
  producer(name: string): Promise<Producer>;
  consumer(name: string, group: string, options?: ConsumerOptions): Promise<Consumer>;
  /** A consumer of the group's dead-letter destination; its deliveries are recorded as `dlq`. */
  deadLetterConsumer?(name: string, group: string): Promise<Consumer>;
  /** Setups with `eventLog`: every message sent with `key`, in log order (the broker as an event store). */
  readKey?(key: string): Promise<KeyedEntry[]>;
  /**
   * Pipelines only: a reader of the output destination that sees committed messages only (Kafka
   * read_committed); its deliveries are recorded as `process` of the group that forwarded them.
   */
  outputConsumer?(name: string): Promise<Consumer>;
}

/** Clients attached to a topology another process created; `close` releases their connections. */
export interface AttachedTopology extends TopologyClients {
  close(): Promise<void>;
}

/** A case's topology, created and owned by the driver until `dispose`. */
export interface CaseTopology extends TopologyClients, AsyncDisposable {
  /** Serialisable description other processes can `attach` to (when the driver allows it). */
  readonly descriptor: Readonly<Record<string, unknown>>;
  /**
   * Messages the broker still holds for the case (ready, in flight, delayed, dead-lettered and
   * unread), when it can tell; the drain stops early once this is 0 and consumers are idle.
   */
  backlog?(): Promise<number | undefined>;
  /** Facts about the case worth keeping in the results (injected anomalies, broker version). */
  diagnostics?(): Record<string, unknown>;
  /**
   * On a cluster: the node (by its cluster name, `n1`…) leading the case's stream / partition /
   * queue now, as the broker's admin API reports it; undefined while none leads.
   */
  leader?(): Promise<string | undefined>;
  /** Deletes everything the case created. Idempotent. */
  dispose(): Promise<void>;
}

export interface DriverContext {
  /** Aborted when the run is interrupted. */
  signal: AbortSignal;
  log(message: string): void;
}

export interface Driver {
  readonly name: string;
  readonly description: string;
  readonly capabilities: DriverCapabilities;
  /** In order of preference: the first setup a scenario fits is the one it runs on by default. */
  readonly setups: readonly Setup[];
  /** Where faults can be injected: the broker's Toxiproxy proxy and process (absent: none). */
  readonly faultTargets?: FaultTargets | undefined;
  createTopology(spec: TopologySpec, context: DriverContext): Promise<CaseTopology>;
  /**
   * Clients for a topology created by another process, from its `descriptor` (drivers with
   * `processIsolation`: consumers then run in worker processes a crash can SIGKILL).
   */
  attach?(descriptor: Readonly<Record<string, unknown>>, context: DriverContext): Promise<AttachedTopology>;
  /** Releases connections and anything else held beyond single cases. */
  close(): Promise<void>;
}

export function findSetup(driver: Driver, name: string): Setup | undefined {
  return driver.setups.find((s) => s.name === name);
}
