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
import type { Claim, OrderingScope } from '../core/guarantee.ts';

export type DeadLetterSupport = 'native' | 'pattern' | 'none';
export type ExactlyOnceMechanism = 'none' | 'transactions' | 'dedupe-window' | 'double-ack';

export interface DriverCapabilities {
  /** Ordering scopes some setup of this driver can honour. */
  orderingScopes: readonly OrderingScope[];
  /** How dead-lettering works: by the broker, or by a client-side pattern (retry topics, advisories). */
  deadLetter: DeadLetterSupport;
  exactlyOnce: ExactlyOnceMechanism;
  /** Several subscriber groups can each receive every message. */
  fanOut: boolean;
  /** Producers and consumers can run in their own OS processes (so a crash can be a real SIGKILL). */
  processIsolation: boolean;
  /**
   * How long consumers must stay quiet after `backlog()` reaches 0 before the drain ends (longer
   * when the backlog cannot count messages in flight).
   */
  drainSettleMs: number;
}

/** When a delivery counts as acknowledged. */
export type AckMode =
  /** The application acknowledges explicitly (ack / nack / offset commit). */
  | 'manual'
  /** The broker treats a delivery as acknowledged (RabbitMQ noAck, auto-commit on receipt). */
  | 'on-delivery';

/** A named configuration of a driver plus the guarantee it honestly claims. */
export interface Setup {
  name: string;
  description: string;
  claim: Claim;
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
  /** Why this setup cannot run with this driver's broker (e.g. SNS on an emulator without it). */
  unavailable?: string | undefined;
  /** Driver-specific settings (queue type, partitions, timeouts); serialisable. */
  options: Readonly<Record<string, unknown>>;
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
  consumer(name: string, group: string): Promise<Consumer>;
  /** A consumer of the group's dead-letter destination; its deliveries are recorded as `dlq`. */
  deadLetterConsumer?(name: string, group: string): Promise<Consumer>;
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
