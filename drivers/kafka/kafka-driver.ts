import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import type { ClientRole } from '../../core/brokers.ts';
import { sleep } from '../../core/clock.ts';
import { createOrClean, describeError } from '../../core/errors.ts';
import type { FaultTargets } from '../../core/fault-targets.ts';
import type {
  AttachedTopology,
  CaseTopology,
  Driver,
  DriverCapabilities,
  DriverContext,
  Setup,
  TopologySpec,
} from '../driver.ts';
import { noBroker } from '../placement.ts';
import { KafkaClients } from './clients.ts';
import { KafkaConnection, type KafkaLogLevel, protocolError } from './connection.ts';
import { connectionOptions, type KafkaDescriptor, type KafkaTimeouts } from './descriptor.ts';
import { KAFKA_SETUPS, type KafkaSetupOptions } from './setups.ts';

export interface KafkaDriverOptions {
  /**
   * kafkajs `brokers` (through Toxiproxy when provisioned) of admin clients, and of every client
   * without `roles`. Empty: the driver can only `attach` (a worker process: descriptors say where).
   */
  brokers: string[];
  /** Producers' and consumers' own bootstrap brokers (each role behind its own proxy). */
  roles?: Record<ClientRole, string[]> | undefined;
  timeouts?: Partial<KafkaTimeouts>;
  minPartitions?: number;
  logLevel?: KafkaLogLevel;
  /** The broker's version, when known (the local provisioner records it). */
  version?: () => Promise<string | undefined>;
  /** The broker's proxy and process, when provisioned (for network and broker faults). */
  faultTargets?: FaultTargets | undefined;
  /** The brokers are a cluster's nodes (setups with `cluster` run only there). */
  cluster?: boolean | undefined;
}

export const DEFAULT_TIMEOUTS: KafkaTimeouts = {
  send: 10_000,
  connection: 3_000,
  request: 10_000,
  // The broker's group.min.session.timeout.ms is 6000 by default: the smallest a member may ask for.
  session: 6_000,
  heartbeat: 500,
  rebalance: 10_000,
  transaction: 15_000,
};

/** Topic names allow [A-Za-z0-9._-], at most 249 characters. */
const safeName = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '-');

/**
 * Apache Kafka on kafkajs: idempotent and transactional producers, consumer groups with manual,
 * on-receipt, automatic or transactional offset commits, retry topics with a dead-letter topic,
 * consume-transform-produce pipelines read back by read_committed readers. Every case gets its own
 * topics and consumer groups, deleted in `dispose`. Consumers can run in worker processes (`attach`).
 */
export class KafkaDriver implements Driver {
  readonly name = 'kafka';
  readonly description =
    'Apache Kafka with kafkajs (consumer groups, idempotent and transactional producers)';
  readonly capabilities: DriverCapabilities = {
    fanOut: true,
    processIsolation: true,
    // The backlog is the groups' lag, exact for committed offsets; on-receipt commits run ahead of
    // processing by a handler's duration.
    drainSettleMs: 500,
  };
  readonly setups: readonly Setup[];
  private version: Promise<string | undefined> | undefined;

  readonly faultTargets: FaultTargets | undefined;

  constructor(private readonly options: KafkaDriverOptions) {
    this.faultTargets = options.faultTargets;
    // Replicated topics need a cluster; a driver without brokers (listing, attaching) keeps them all.
    const single = options.brokers.length > 0 && !options.cluster;
    this.setups = KAFKA_SETUPS.map((s) =>
      single && s.options.cluster === true
        ? { ...s, unavailable: 'it runs on a cluster: `brokerproof brokers up --cluster 3 --only kafka`' }
        : s,
    );
    // A consumer that stops heartbeating is dropped from its group after the session timeout.
    this.capabilities.silenceTimeoutMs = this.timeouts().session;
  }

  private timeouts(): KafkaTimeouts {
    const given = Object.entries(this.options.timeouts ?? {}).filter(([, v]) => v !== undefined);
    return { ...DEFAULT_TIMEOUTS, ...Object.fromEntries(given) };
  }

  async createTopology(spec: TopologySpec, context: DriverContext): Promise<CaseTopology> {
    if (this.options.brokers.length === 0) throw noBroker('kafka', 'drivers.kafka.brokers');
    const setup = spec.setup.options as unknown as KafkaSetupOptions;
    // A suffix of our own: a replayed case (same id) never meets topics an interrupted run left.
    const base = `bp.${safeName(spec.caseId).slice(0, 160)}.${randomBytes(3).toString('hex')}`;
    const maxAttempts = setup.retryTopics ? (spec.maxAttempts ?? spec.setup.claim.maxAttempts) : undefined;
    const pipeline = spec.output === true && spec.setup.pipeline !== undefined;
    const group = (g: string) => `${base}.${safeName(g)}`;
    const descriptor: KafkaDescriptor = {
      brokers: this.options.brokers,
      roles: this.options.roles,
      base,
      dest: `${base}.in`,
      partitions: Math.max(spec.partitions, this.options.minPartitions ?? 4),
      groups: Object.fromEntries(spec.groups.map((g) => [g, group(g)])),
      retries:
        setup.retryTopics && maxAttempts !== undefined
          ? Object.fromEntries(
              spec.groups.map((g) => [
                g,
                Array.from({ length: maxAttempts - 1 }, (_, k) => `${group(g)}.retry-${k + 1}`),
              ]),
            )
          : {},
      deadLetters: setup.retryTopics
        ? Object.fromEntries(
            spec.groups.map((g) => [g, { topic: `${group(g)}.dlq`, readers: `${group(g)}.dlq-reader` }]),
          )
        : {},
      output: pipeline ? { topic: `${base}.out`, readers: `${base}.out-reader` } : undefined,
      setup,
      maxAttempts,
      timeouts: {
        ...this.timeouts(),
        // A custom setup's consumer timeouts win over the driver's.
        ...(setup.consumer?.sessionTimeout !== undefined && { session: setup.consumer.sessionTimeout }),
        ...(setup.consumer?.heartbeatInterval !== undefined && {
          heartbeat: setup.consumer.heartbeatInterval,
        }),
      },
      logLevel: this.options.logLevel ?? 'nothing',
    };
    this.version ??= (this.options.version?.() ?? Promise.resolve(undefined)).catch(() => undefined);
    const topology = new KafkaTopology(descriptor, context.log, {
      // Without a claim of N attempts the runner starts no dead-letter reader: the DLQ's lag is nobody's.
      countDeadLetters: spec.maxAttempts !== undefined,
      version: await this.version,
    });
    return createOrClean(topology, (t) => t.create(), `the Kafka topics for ${spec.caseId}`);
  }

  async attach(
    descriptor: Readonly<Record<string, unknown>>,
    context: DriverContext,
  ): Promise<AttachedTopology> {
    return new KafkaClients(descriptor as KafkaDescriptor, context.log);
  }

  async close(): Promise<void> {}
}

/** The topic configs a setup sets at creation (min ISR, unclean election, …). */
export function topicConfigEntries(setup: KafkaSetupOptions): Array<{ name: string; value: string }> {
  const configs: Record<string, string> = {
    ...(setup.minInsyncReplicas !== undefined && { 'min.insync.replicas': String(setup.minInsyncReplicas) }),
    ...setup.topicConfig,
  };
  return Object.entries(configs).map(([name, value]) => ({ name, value }));
}

/** Backlog answers are reused this long: the drain asks every few milliseconds. */
const BACKLOG_CACHE_MS = 150;

class KafkaTopology extends KafkaClients implements CaseTopology {
  private readonly connection: KafkaConnection;
  private readonly admin: Admin;
  private connected: Promise<void> | undefined;
  private disposed = false;
  private lastBacklog: { at: number; value: Promise<number> } | undefined;
  private lastGood = 0;
  private backlogFailed = false;
  private cleanup: { topicsLeft: string[]; groupsLeft: string[] } | undefined;

  constructor(
    descriptor: KafkaDescriptor,
    log: (message: string) => void,
    private readonly extra: { countDeadLetters: boolean; version: string | undefined },
  ) {
    super(descriptor, log);
    this.connection = new KafkaConnection(connectionOptions(descriptor, 'brokerproof-admin', 'admin'));
    this.admin = this.connection.kafka.admin();
  }

  private get topics(): string[] {
    const d = this.descriptor;
    return [
      d.dest,
      ...Object.values(d.retries).flat(),
      ...Object.values(d.deadLetters).map((x) => x.topic),
      ...(d.output ? [d.output.topic] : []),
    ];
  }

  private get groupIds(): string[] {
    const d = this.descriptor;
    return [
      ...Object.values(d.groups),
      ...Object.values(d.deadLetters).map((x) => x.readers),
      ...(d.output ? [d.output.readers] : []),
    ];
  }

  private connect(): Promise<void> {
    this.connected ??= this.admin.connect();
    return this.connected;
  }

  async create(): Promise<void> {
    const { setup } = this.descriptor;
    await this.connect();
    await this.admin.createTopics({
      waitForLeaders: true,
      timeout: 30_000,
      topics: this.topics.map((topic) => ({
        topic,
        numPartitions: this.descriptor.partitions,
        ...(setup.replicationFactor !== undefined && { replicationFactor: setup.replicationFactor }),
        configEntries: topicConfigEntries(setup),
      })),
    });
  }

  /** The node leading partition 0 of the case's topic (`n<node.id>`), as the metadata says. */
  async leader(): Promise<string | undefined> {
    await this.connect();
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [this.descriptor.dest] });
    const leader = topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader;
    return leader === undefined || leader < 0 ? undefined : `n${leader}`;
  }

  /**
   * Lag of every consumer group of the case over its topics: records not yet committed by their
   * readers (retry records waiting for their backoff included). A measurement that fails, or does
   * not see every partition, counts as work left (the last good answer, at least 1): an empty
   * answer must never end a drain early.
   */
  async backlog(): Promise<number | undefined> {
    const now = Date.now();
    if (this.lastBacklog && now - this.lastBacklog.at < BACKLOG_CACHE_MS) return this.lastBacklog.value;
    const value = this.measureBacklog().then(
      (measured) => {
        if (measured !== undefined) this.lastGood = measured;
        return measured ?? Math.max(1, this.lastGood);
      },
      (error: unknown) => {
        if (!this.backlogFailed) this.log(`kafka: measuring the backlog failed: ${describeError(error)}`);
        this.backlogFailed = true;
        return Math.max(1, this.lastGood);
      },
    );
    this.lastBacklog = { at: now, value };
    return value;
  }

  /** The lag, or undefined when some partition was missing from the broker's answers. */
  private async measureBacklog(): Promise<number | undefined> {
    const d = this.descriptor;
    const pairs: Array<{ groupId: string; topics: string[] }> = [];
    for (const [group, groupId] of Object.entries(d.groups)) {
      pairs.push({ groupId, topics: [d.dest, ...(d.retries[group] ?? [])] });
    }
    if (this.extra.countDeadLetters) {
      for (const { topic, readers } of Object.values(d.deadLetters))
        pairs.push({ groupId: readers, topics: [topic] });
    }
    if (d.output) pairs.push({ groupId: d.output.readers, topics: [d.output.topic] });
    const ends = new Map<string, Map<number, number>>();
    for (const topic of new Set(pairs.flatMap((p) => p.topics))) {
      const offsets = await this.admin.fetchTopicOffsets(topic);
      if (offsets.length !== d.partitions) return undefined;
      ends.set(topic, new Map(offsets.map((o) => [o.partition, Number(o.high)])));
    }
    let total = 0;
    for (const { groupId, topics } of pairs) {
      const committed = await this.admin.fetchOffsets({ groupId, topics });
      for (const topic of topics) {
        const partitions = committed.find((c) => c.topic === topic)?.partitions ?? [];
        if (partitions.length !== d.partitions) return undefined;
        for (const { partition, offset } of partitions) {
          const end = ends.get(topic)?.get(partition);
          if (end === undefined) return undefined;
          total += Math.max(0, end - Math.max(0, Number(offset)));
        }
      }
    }
    return total;
  }

  diagnostics(): Record<string, unknown> {
    return {
      brokers: this.descriptor.brokers,
      ...(this.descriptor.roles && { roles: this.descriptor.roles }),
      ...(this.extra.version !== undefined && { version: this.extra.version }),
      partitions: this.descriptor.partitions,
      topics: this.topics,
      groups: this.groupIds,
      ...(this.cleanup && { cleanup: this.cleanup }),
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.close();
    try {
      await this.connect();
      const topicsLeft = await this.deleteTopics();
      const groupsLeft = await this.deleteGroups();
      if (topicsLeft.length > 0 || groupsLeft.length > 0) {
        this.cleanup = { topicsLeft, groupsLeft };
        this.log(`kafka: could not delete ${[...topicsLeft, ...groupsLeft].join(', ')}`);
      }
    } catch (error) {
      this.log(`kafka: cleaning up ${this.descriptor.base} failed: ${describeError(error)}`);
      this.cleanup = { topicsLeft: this.topics, groupsLeft: this.groupIds };
    } finally {
      await this.admin.disconnect().catch(() => {});
    }
  }

  private async deleteTopics(): Promise<string[]> {
    try {
      await this.admin.deleteTopics({ topics: this.topics, timeout: 30_000 });
      return [];
    } catch (error) {
      const existing = new Set(await this.admin.listTopics().catch(() => this.topics));
      const left = this.topics.filter((t) => existing.has(t));
      if (left.length > 0) this.log(`kafka: deleting topics: ${describeError(error)}`);
      return left;
    }
  }

  /**
   * Groups are deleted once empty. A member that crashed is still in its group until its session
   * times out, so a non-empty group is tried again until then.
   */
  private async deleteGroups(): Promise<string[]> {
    let left = this.groupIds;
    const deadline = Date.now() + this.descriptor.timeouts.session + 5_000;
    while (left.length > 0) {
      try {
        await this.admin.deleteGroups(left);
        return [];
      } catch (error) {
        const failures = (error as { groups?: Array<{ groupId: string; error?: unknown }> }).groups;
        if (!failures) throw error;
        left = failures
          .filter((f) => protocolError(f.error)?.type !== 'GROUP_ID_NOT_FOUND')
          .map((f) => f.groupId);
        const busy = failures.some((f) => protocolError(f.error)?.type === 'NON_EMPTY_GROUP');
        if (left.length === 0) return [];
        if (!busy || Date.now() > deadline) return left;
        await sleep(500);
      }
    }
    return [];
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
