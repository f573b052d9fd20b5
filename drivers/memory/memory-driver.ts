import { forkRandom } from '../../core/random.ts';
import type {
  AckOutcome,
  CaseTopology,
  Consumer,
  Delivery,
  DeliveryHandler,
  Driver,
  DriverCapabilities,
  DriverContext,
  KeyedEntry,
  OutgoingMessage,
  Producer,
  SendOutcome,
  TopologySpec,
} from '../driver.ts';
import type { AnomalyRates } from './anomalies.ts';
import { MemoryBroker, type Route } from './memory-broker.ts';
import { type LogMember, type LogRecord, MemoryLog } from './memory-log.ts';
import { MemoryQueue, type QueueSubscription } from './memory-queue.ts';
import { MEMORY_SETUPS } from './setups.ts';

export interface MemoryDriverOptions {
  anomalies?: AnomalyRates;
  /** Un-acked queue deliveries come back after this long. */
  ackTimeoutMs?: number;
  /** A crashed log consumer is noticed after this long. */
  sessionTimeoutMs?: number;
}

const ok: AckOutcome = { status: 'ok' };
/** The consumer group that reads a pipeline's output. */
const OUTPUT_READERS = 'output-readers';

/**
 * The embedded reference broker. It behaves like the brokers it stands for (queues with acks and a
 * visibility timeout, partitioned logs with consumer groups and committed offsets, fan-out, delivery
 * limits with a dead-letter queue), plus switchable anomalies, and needs nothing installed.
 */
export class MemoryDriver implements Driver {
  readonly name = 'memory';
  readonly description = 'In-process reference broker with switchable anomalies (no installation needed).';
  readonly capabilities: DriverCapabilities = {
    fanOut: true,
    processIsolation: false,
    drainSettleMs: 20,
  };
  readonly setups = MEMORY_SETUPS;
  private readonly topologies = new Set<MemoryTopology>();

  constructor(readonly options: MemoryDriverOptions = {}) {
    // The queue redelivers after its ack timeout; the log drops a silent consumer after its session timeout.
    this.capabilities.silenceTimeoutMs = Math.max(
      options.ackTimeoutMs ?? 500,
      options.sessionTimeoutMs ?? 100,
    );
  }

  async createTopology(spec: TopologySpec, _context: DriverContext): Promise<CaseTopology> {
    const broker = new MemoryBroker(this.options.anomalies ?? {}, forkRandom(spec.seed, 'anomalies'));
    const topology = new MemoryTopology(spec, broker, this.options, () => this.topologies.delete(topology));
    this.topologies.add(topology);
    return topology;
  }

  async close(): Promise<void> {
    for (const t of [...this.topologies]) await t.dispose();
  }
}

class MemoryTopology implements CaseTopology {
  readonly dest: string;
  readonly descriptor: Record<string, unknown>;
  private readonly log: MemoryLog | undefined;
  /** A pipeline's output destination. */
  private readonly output: MemoryLog | undefined;
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly deadLetters = new Map<string, MemoryQueue>();
  private readonly route: Route;
  private disposed = false;

  constructor(
    private readonly spec: TopologySpec,
    readonly broker: MemoryBroker,
    options: MemoryDriverOptions,
    private readonly onDispose: () => void,
  ) {
    const kind = spec.setup.options.kind;
    this.dest = `${spec.caseId}.orders`;
    this.descriptor = { dest: this.dest, kind };
    if (kind === 'log') {
      this.log = new MemoryLog(
        { name: this.dest, partitions: spec.partitions, sessionTimeoutMs: options.sessionTimeoutMs ?? 100 },
        broker.anomalies,
      );
      this.route = { kind: 'log', log: this.log };
      if (spec.output) {
        this.output = new MemoryLog(
          {
            name: `${this.dest}.out`,
            partitions: spec.partitions,
            sessionTimeoutMs: options.sessionTimeoutMs ?? 100,
          },
          broker.anomalies,
        );
      }
    } else {
      // A custom setup's delivery limit is what the broker does, whatever the claim says.
      const limit = spec.setup.options.deliveryLimit;
      const maxDeliveries =
        typeof limit === 'number'
          ? limit
          : spec.setup.claim.maxAttempts !== undefined
            ? (spec.maxAttempts ?? spec.setup.claim.maxAttempts)
            : undefined;
      for (const group of spec.groups) {
        const deadLetter =
          maxDeliveries !== undefined
            ? new MemoryQueue(
                { name: `${this.dest}.${group}.dlq`, ackTimeoutMs: options.ackTimeoutMs ?? 500 },
                broker.anomalies,
              )
            : undefined;
        if (deadLetter) this.deadLetters.set(group, deadLetter);
        this.queues.set(
          group,
          new MemoryQueue(
            {
              name: `${this.dest}.${group}`,
              ackTimeoutMs: options.ackTimeoutMs ?? 500,
              maxDeliveries,
              deadLetter,
            },
            broker.anomalies,
          ),
        );
      }
      this.route = { kind: 'queues', queues: [...this.queues.values()] };
    }
  }

  async producer(_name: string): Promise<Producer> {
    return {
      send: async (message: OutgoingMessage): Promise<SendOutcome> => {
        // A round trip to a broker takes a turn of the event loop; consumers run meanwhile.
        await new Promise((resolve) => setImmediate(resolve));
        if (this.disposed) return { status: 'fail', error: 'topology disposed' };
        const stored = {
          id: message.id,
          key: message.key,
          poison: message.poison,
          payload: message.payload,
          deliveryCount: 0,
        };
        // An event store's setup journals every keyed send (a single writer's append expects nothing).
        const journaled =
          message.expectPosition !== undefined ||
          (message.key !== undefined && this.spec.setup.eventLog !== undefined);
        return journaled
          ? this.broker.append(this.route, stored, message.expectPosition)
          : this.broker.publish(this.route, stored);
      },
      close: async () => {},
    };
  }

  async readKey(key: string): Promise<KeyedEntry[]> {
    return this.broker.readKey(key);
  }

  async consumer(_name: string, group: string): Promise<Consumer> {
    if (this.log) return this.logConsumer(this.log, group);
    const queue = this.queues.get(group);
    if (!queue) throw new Error(`no queue for group ${group}`);
    return this.queueConsumer(queue, this.dest, this.spec.setup.ackMode === 'on-delivery');
  }

  async deadLetterConsumer(_name: string, group: string): Promise<Consumer> {
    const queue = this.deadLetters.get(group);
    if (!queue) throw new Error(`group ${group} has no dead-letter queue in setup ${this.spec.setup.name}`);
    return this.queueConsumer(queue, queue.name, false);
  }

  private queueConsumer(queue: MemoryQueue, dest: string, autoAck: boolean): Consumer {
    let subscription: QueueSubscription | undefined;
    const prefetch = Number(this.spec.setup.options.prefetch ?? 4);
    return {
      start: async (handler: DeliveryHandler) => {
        subscription = queue.subscribe(prefetch, ({ message, tag, redelivered }) => {
          const s = subscription!;
          if (autoAck) queue.ack(s, tag);
          const delivery: Delivery = {
            id: message.id,
            dest,
            key: message.key,
            poison: message.poison,
            redelivered,
            deliveryCount: message.deliveryCount,
            payload: message.payload,
            deadLetter:
              message.deadLetteredAfter === undefined
                ? undefined
                : { deliveryCount: message.deadLetteredAfter },
            ack: async () => (autoAck ? ok : toOutcome(queue.ack(s, tag))),
            nack: async ({ requeue, delayMs }) =>
              autoAck ? ok : toOutcome(queue.nack(s, tag, requeue, delayMs)),
          };
          void handler(delivery);
        });
      },
      crash: async () => {
        if (subscription) queue.crashed(subscription);
      },
      close: async () => {
        if (subscription) queue.closed(subscription);
      },
    };
  }

  async outputConsumer(_name: string): Promise<Consumer> {
    if (!this.output) throw new Error(`setup ${this.spec.setup.name} has no output destination`);
    return this.logConsumer(this.output, OUTPUT_READERS);
  }

  /**
   * Pipelines: the output message and the commit of the input. Transactional setups do both in one
   * step after `beforeCommit` (a consumer that died there commits nothing); sequential ones append
   * the output first, so a crash before the commit forwards the message again on redelivery.
   */
  private async forward(
    member: LogMember,
    record: LogRecord,
    message: OutgoingMessage,
    hooks: { beforeCommit?: () => Promise<void> } | undefined,
  ): Promise<AckOutcome> {
    const output = this.output;
    if (!output) return { status: 'fail', error: 'this setup has no output destination' };
    const group = member.group;
    const stored = {
      id: message.id,
      key: message.key,
      poison: message.poison,
      payload: message.payload,
      deliveryCount: 0,
    };
    if (this.spec.setup.pipeline !== 'transactional') output.append(stored);
    await hooks?.beforeCommit?.();
    const result = group.commit(member, record);
    group.done(member, record.partition);
    if (!result.ok) return { status: 'fail', error: `aborted: ${result.error}` };
    if (this.spec.setup.pipeline === 'transactional') output.append(stored);
    return ok;
  }

  private logConsumer(log: MemoryLog, groupName: string): Consumer {
    let member: LogMember | undefined;
    const group = log.group(groupName);
    const dest = log.name;
    return {
      start: async (handler: DeliveryHandler) => {
        member = group.join(({ record, redelivered, deliveryCount }) => {
          const m = member!;
          if (m.state !== 'live') return;
          const { message } = record;
          const delivery: Delivery = {
            id: message.id,
            dest,
            key: message.key,
            poison: message.poison,
            partition: record.partition,
            offset: record.offset,
            redelivered,
            deliveryCount,
            payload: message.payload,
            ack: async () => {
              const result = group.commit(m, record);
              group.done(m, record.partition);
              return toOutcome(result);
            },
            nack: async ({ requeue, delayMs }) => {
              if (requeue) return toOutcome(group.seek(m, record, delayMs ?? 0));
              const result = group.commit(m, record); // a log cannot reject: skip past it
              group.done(m, record.partition);
              return toOutcome(result);
            },
            forward: (message, hooks) => this.forward(m, record, message, hooks),
          };
          void handler(delivery);
        });
      },
      crash: async () => {
        if (member) group.leave(member, true);
      },
      close: async () => {
        if (member) group.leave(member, false);
      },
    };
  }

  async backlog(): Promise<number> {
    let n = this.broker.heldCount;
    if (this.output) n += this.output.lag([OUTPUT_READERS]);
    if (this.log) n += this.log.lag(this.spec.groups);
    for (const q of this.queues.values()) n += q.depth;
    for (const q of this.deadLetters.values()) n += q.depth;
    return n;
  }

  diagnostics(): Record<string, unknown> {
    return { injected: { ...this.broker.anomalies.injected } };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.log?.delete();
    this.output?.delete();
    for (const q of this.queues.values()) q.delete();
    for (const q of this.deadLetters.values()) q.delete();
    this.broker.dispose();
    this.onDispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

function toOutcome(result: { ok: true } | { ok: false; error: string }): AckOutcome {
  return result.ok ? ok : { status: 'fail', error: result.error };
}
