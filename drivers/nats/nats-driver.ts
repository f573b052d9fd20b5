import { randomBytes } from 'node:crypto';
import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  StorageType,
} from '@nats-io/jetstream';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import type { ClientRole } from '../../core/brokers.ts';
import { sleep } from '../../core/clock.ts';
import { createOrClean } from '../../core/errors.ts';
import type { FaultTargets } from '../../core/fault-targets.ts';
import type {
  AttachedTopology,
  CaseTopology,
  Driver,
  DriverCapabilities,
  DriverContext,
  KeyedEntry,
  Setup,
  TopologySpec,
} from '../driver.ts';
import { noBroker } from '../placement.ts';
import { type DeadLetterRef, NatsClients, type NatsDescriptor, subjectToken } from './clients.ts';
import { openConnection } from './connection.ts';
import { DeadLetterMover, maxDeliveriesSubject } from './dead-letter-mover.ts';
import { readSubject } from './key-reader.ts';
import { NATS_SETUPS, type NatsSetupOptions } from './setups.ts';

export interface NatsDriverOptions {
  /**
   * nats:// URLs of the server (through Toxiproxy when provisioned) for admin connections, and for
   * every client without `roles`. Empty: the driver can only `attach` (worker processes).
   */
  servers: string[];
  /** Producers' and consumers' own servers (each role behind its own proxy). */
  roles?: Record<ClientRole, string[]> | undefined;
  connectTimeoutMs?: number;
  publishTimeoutMs?: number;
  ackWaitMs?: number;
  ackTimeoutMs?: number;
  duplicateWindowMs?: number;
  storage?: 'file' | 'memory';
  resourceMaxAgeMs?: number;
  /** The broker's proxies and, when it runs natively here, its name (network and broker faults). */
  faultTargets?: FaultTargets | undefined;
  /** The servers are a cluster's nodes (setups with `cluster` run only there). */
  cluster?: boolean | undefined;
}

/** Stream and consumer names allow no dots, wildcards, spaces or path separators. */
const safeName = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * NATS on the official nats.js v3 client (`@nats-io/transport-node`, `@nats-io/jetstream`): core
 * subjects and queue groups (at-most-once), JetStream streams with durable pull consumers (publish
 * acks, explicit acks, AckWait, MaxDeliver, nak with delay, term), Nats-Msg-Id deduplication and
 * double acks, and the advisory-driven dead-letter pattern. Consumers can run in their own processes
 * (`attach`).
 */
export class NatsDriver implements Driver {
  readonly name = 'nats';
  readonly description = 'NATS core and JetStream with nats.js v3';
  readonly capabilities: DriverCapabilities = {
    fanOut: true,
    processIsolation: true,
    // JetStream counts messages in flight (ack pending), so a short settle is enough; core NATS
    // cannot count anything and falls back to the runner's quiet period.
    drainSettleMs: 300,
    // Connections ignore the servers the broker advertises: one address carries all of a consumer.
    consumerVia: true,
  };
  readonly setups: readonly Setup[];
  readonly faultTargets: NatsDriverOptions['faultTargets'];

  constructor(private readonly options: NatsDriverOptions) {
    this.faultTargets = options.faultTargets;
    // Replicated streams need a cluster; a driver without a broker (listing, attaching) keeps them all.
    const single = options.servers.length > 0 && !options.cluster;
    this.setups = NATS_SETUPS.map((s) =>
      single && s.options.cluster === true
        ? { ...s, unavailable: 'it runs on a cluster: `brokerproof brokers up --cluster 3 --only nats`' }
        : s,
    );
    // Unacknowledged JetStream messages come back after AckWait; a publish gives up after its ack timeout.
    this.capabilities.silenceTimeoutMs = Math.max(options.ackWaitMs ?? 3000, options.ackTimeoutMs ?? 5000);
  }

  async createTopology(spec: TopologySpec, context: DriverContext): Promise<CaseTopology> {
    const o = this.options;
    if (o.servers.length === 0) throw noBroker('nats', 'drivers.nats.servers');
    const setup = spec.setup.options as unknown as NatsSetupOptions;
    // Case ids repeat across runs; a random suffix keeps a leftover of a killed run out of the way.
    const token = `${safeName(spec.caseId)}_${randomBytes(3).toString('hex')}`;
    const jetStream = setup.kind === 'jetstream';
    const stream = jetStream ? `BP_${token}` : undefined;
    const consumers = Object.fromEntries(
      spec.groups.map((g) => [
        g,
        jetStream ? `c_${safeName(g)}` : setup.queueGroups === 'shared' ? 'q_all' : `q_${safeName(g)}`,
      ]),
    );
    const deadLetters: Record<string, DeadLetterRef> = {};
    if (setup.deadLetter && stream) {
      for (const g of spec.groups) {
        deadLetters[g] = {
          stream: `${stream}_DLQ`,
          subject: `bp.${token}.dlq.${safeName(g)}`,
          consumer: `d_${safeName(g)}`,
        };
      }
    }
    const descriptor: NatsDescriptor = {
      servers: o.servers,
      roles: o.roles,
      dest: `bp.${token}`,
      subject: `bp.${token}.m`,
      stream,
      consumers,
      deadLetters,
      setup,
      connectTimeoutMs: o.connectTimeoutMs ?? 5000,
      publishTimeoutMs: o.publishTimeoutMs ?? 5000,
      ackTimeoutMs: o.ackTimeoutMs ?? 5000,
    };
    const maxDeliver = setup.deadLetter
      ? (setup.consumer?.maxDeliver ?? spec.maxAttempts ?? spec.setup.claim.maxAttempts ?? 3)
      : -1;
    const nc = await openConnection({
      servers: o.servers,
      timeoutMs: descriptor.connectTimeoutMs,
      name: `brokerproof admin ${token}`,
    });
    const topology = new NatsTopology(descriptor, nc, context.log);
    // A custom setup's stream and consumer settings win over the driver's.
    const storage = setup.stream?.storage ?? o.storage;
    const settings = {
      ackWaitMs: setup.consumer?.ackWaitMs ?? o.ackWaitMs ?? 3000,
      maxDeliver,
      duplicateWindowMs: setup.stream?.duplicateWindowMs ?? o.duplicateWindowMs ?? 120_000,
      storage: storage === 'memory' ? StorageType.Memory : StorageType.File,
      maxAgeMs: o.resourceMaxAgeMs ?? 30 * 60_000,
    };
    return createOrClean(topology, (t) => t.declare(settings), `the NATS topology for ${spec.caseId}`);
  }

  async attach(
    descriptor: Readonly<Record<string, unknown>>,
    context: DriverContext,
  ): Promise<AttachedTopology> {
    return new NatsClients(descriptor as NatsDescriptor, context.log);
  }

  async close(): Promise<void> {}
}

interface DeclareOptions {
  ackWaitMs: number;
  maxDeliver: number;
  duplicateWindowMs: number;
  storage: StorageType;
  maxAgeMs: number;
}

const ADVISORY_CONSUMER = 'mover';
/** How long teardown keeps trying to delete a stream. */
const DELETE_DEADLINE_MS = 15_000;

class NatsTopology extends NatsClients implements CaseTopology {
  private disposed = false;
  private jsm: JetStreamManager | undefined;
  private mover: DeadLetterMover | undefined;
  /** Every stream the case created, the work stream first. */
  private readonly streams: string[] = [];
  /** (stream, consumer) pairs whose outstanding messages make up the backlog. */
  private readonly tracked: Array<[string, string]> = [];

  constructor(
    descriptor: NatsDescriptor,
    private readonly nc: NatsConnection,
    log: (message: string) => void,
  ) {
    super(descriptor, log);
  }

  /** The broker as an event store: every message of `key`'s subject, with its stream sequence. */
  async readKey(key: string): Promise<KeyedEntry[]> {
    const d = this.descriptor;
    if (!d.stream) throw new Error(`setup ${d.setup.name} keeps no stream: it cannot be read back`);
    return readSubject(this.nc, d.stream, `${d.subject}.${subjectToken(key)}`, d.publishTimeoutMs);
  }

  /** The node leading the work stream (its RAFT leader), by the server_name the cluster gave it. */
  async leader(): Promise<string | undefined> {
    const d = this.descriptor;
    if (!this.jsm || !d.stream) return undefined;
    const info = await this.jsm.streams.info(d.stream);
    return info.cluster?.leader || undefined;
  }

  private get advisoryStream(): string {
    return `${this.descriptor.stream}_ADV`;
  }

  async declare(options: DeclareOptions): Promise<void> {
    const d = this.descriptor;
    if (d.setup.kind !== 'jetstream' || !d.stream) return;
    const jsm = await jetstreamManager(this.nc, { timeout: d.publishTimeoutMs });
    this.jsm = jsm;
    const maxAge = nanos(options.maxAgeMs);
    await jsm.streams.add({
      name: d.stream,
      subjects: [`${d.subject}.>`],
      storage: options.storage,
      num_replicas: d.setup.replicas ?? 1,
      max_age: maxAge,
      duplicate_window: nanos(Math.min(options.duplicateWindowMs, options.maxAgeMs)),
    });
    this.streams.push(d.stream);
    const consumer = (name: string): Partial<ConsumerConfig> => ({
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(options.ackWaitMs),
      inactive_threshold: maxAge,
    });
    for (const name of new Set(Object.values(d.consumers))) {
      await jsm.consumers.add(d.stream, {
        ...consumer(name),
        max_deliver: options.maxDeliver,
        max_ack_pending: d.setup.maxAckPending ?? 1000,
      });
      this.tracked.push([d.stream, name]);
    }
    const dlqs = Object.entries(d.deadLetters);
    if (dlqs.length === 0) return;
    const dlqStream = dlqs[0]![1].stream;
    await jsm.streams.add({
      name: dlqStream,
      subjects: dlqs.map(([, ref]) => ref.subject),
      storage: options.storage,
      num_replicas: d.setup.replicas ?? 1,
      max_age: maxAge,
    });
    this.streams.push(dlqStream);
    for (const [, ref] of dlqs) {
      await jsm.consumers.add(dlqStream, { ...consumer(ref.consumer), filter_subject: ref.subject });
      this.tracked.push([dlqStream, ref.consumer]);
    }
    // Advisories captured in a stream of their own, read by the mover's durable consumer.
    await jsm.streams.add({
      name: this.advisoryStream,
      subjects: [maxDeliveriesSubject(d.stream)],
      storage: options.storage,
      num_replicas: d.setup.replicas ?? 1,
      max_age: maxAge,
    });
    this.streams.push(this.advisoryStream);
    await jsm.consumers.add(this.advisoryStream, consumer(ADVISORY_CONSUMER));
    this.tracked.push([this.advisoryStream, ADVISORY_CONSUMER]);
    this.mover = new DeadLetterMover(jetstream(this.nc, { timeout: d.publishTimeoutMs }), jsm, {
      advisories: { stream: this.advisoryStream, consumer: ADVISORY_CONSUMER },
      deadLetters: new Map(dlqs.map(([group, ref]) => [d.consumers[group]!, ref])),
      publishTimeoutMs: d.publishTimeoutMs,
      log: this.log,
    });
    await this.mover.start();
  }

  /**
   * JetStream: messages not yet delivered plus delivered and not yet acknowledged (including nak'd
   * ones waiting out their delay, and exhausted ones whose advisory has not fired yet), over the
   * work consumers, the advisory consumer and the DLQ consumers. Core NATS keeps nothing to count.
   */
  async backlog(): Promise<number | undefined> {
    if (!this.jsm || this.tracked.length === 0) return undefined;
    try {
      const jsm = this.jsm;
      const infos = await Promise.all(
        this.tracked.map(([stream, consumer]) => jsm.consumers.info(stream, consumer)),
      );
      return infos.reduce((total, info) => total + info.num_pending + info.num_ack_pending, 0);
    } catch {
      return undefined;
    }
  }

  diagnostics(): Record<string, unknown> {
    const d = this.descriptor;
    return {
      broker: d.servers.join(','),
      version: this.nc.info?.version,
      subject: `${d.subject}.>`,
      ...(d.stream
        ? { streams: [...this.streams], consumers: this.tracked.map(([s, c]) => `${s}/${c}`) }
        : { queueGroups: [...new Set(Object.values(d.consumers))] }),
      ...(this.mover && { deadLettersMoved: this.mover.moved, deadLetterMoveErrors: this.mover.errors }),
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.close();
    await this.mover?.stop();
    // Deleting a stream deletes its consumers.
    const left: string[] = [];
    for (const stream of this.streams) if (!(await this.deleteStream(stream))) left.push(stream);
    await this.nc.close().catch(() => {});
    if (left.length > 0) {
      this.log(`could not delete NATS streams ${left.join(', ')}; they expire their messages after max_age`);
    }
  }

  /**
   * Deletes a stream, retrying while the admin connection comes back (after a partition it may be
   * reconnecting, and nats.js drops requests made meanwhile). True once it is gone.
   */
  private async deleteStream(stream: string): Promise<boolean> {
    const jsm = this.jsm;
    if (!jsm) return true;
    const deadline = Date.now() + DELETE_DEADLINE_MS;
    for (;;) {
      try {
        await jsm.streams.delete(stream);
        return true;
      } catch (error) {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)
          return true;
        if (Date.now() > deadline || this.nc.isClosed()) return false;
        await sleep(250);
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
