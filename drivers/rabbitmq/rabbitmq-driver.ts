import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import type { ClientRole } from '../../core/brokers.ts';
import { createOrClean, describeError } from '../../core/errors.ts';
import type { ClusterNodeRef, FaultTargets } from '../../core/fault-targets.ts';
import { managementGet, rabbitNodeName } from '../../provision/cluster/rabbitmq-cluster.ts';
import type {
  AttachedTopology,
  CaseTopology,
  Driver,
  DriverContext,
  Setup,
  TopologySpec,
} from '../driver.ts';
import { noBroker } from '../placement.ts';
import { RabbitClients, type RabbitDescriptor, urlsFor } from './clients.ts';
import { NodeCursor, redactUrl } from './connection.ts';
import { RABBITMQ_SETUPS, type RabbitSetupOptions } from './setups.ts';

export interface RabbitmqDriverOptions {
  /**
   * amqp:// URL of the broker (through Toxiproxy when provisioned) for admin connections, and for
   * every client without `roles`. Undefined: the driver can only `attach` (worker processes).
   */
  url: string | undefined;
  /** Producers' and consumers' own URLs (each role behind its own proxy). */
  roles?: Record<ClientRole, string> | undefined;
  /** A send without a publisher confirm after this long is recorded as `info`. */
  confirmTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Queues left behind by a crashed run delete themselves after this long unused. */
  queueExpiresMs?: number;
  /** The broker's proxy and process, when provisioned (for network and broker faults). */
  faultTargets?: FaultTargets | undefined;
  /** A cluster's nodes (`url` is the first's): clients fail over, `leader()` maps node names. */
  cluster?: { urls: string[]; nodes: readonly ClusterNodeRef[] } | undefined;
}

/** Queue and exchange names allow more, but these survive every tool that shows them. */
const safeName = (text: string) => text.replace(/[^A-Za-z0-9_.-]/g, '_');

/**
 * RabbitMQ on amqplib: publisher confirms, manual acks with prefetch, quorum and classic queues,
 * dead-letter exchanges with delivery limits, TTL retry queues for backoff, single active
 * consumer, fanout exchanges. Consumers can run in their own processes (`attach`).
 */
export class RabbitmqDriver implements Driver {
  readonly name = 'rabbitmq';
  readonly description = 'RabbitMQ (AMQP 0-9-1) with amqplib';
  readonly capabilities = {
    fanOut: true,
    processIsolation: true,
    // Ready counts only: unacknowledged messages are invisible over AMQP, so wait a little longer.
    drainSettleMs: 300,
    // Connections heartbeat every 2 s: the broker drops a silent one after two missed beats.
    silenceTimeoutMs: 4_000,
    // An AMQP connection is one socket to one address.
    consumerVia: true,
  };
  readonly setups: readonly Setup[];

  readonly faultTargets: FaultTargets | undefined;

  constructor(private readonly options: RabbitmqDriverOptions) {
    this.faultTargets = options.faultTargets;
    // Cluster setups need a cluster; a driver without a broker (listing, attaching) keeps them all.
    const single = options.url !== undefined && !options.cluster;
    this.setups = RABBITMQ_SETUPS.map((s) =>
      single && s.options.cluster === true
        ? { ...s, unavailable: 'it runs on a cluster: `brokerproof brokers up --cluster 3 --only rabbitmq`' }
        : s,
    );
  }

  async createTopology(spec: TopologySpec, context: DriverContext): Promise<CaseTopology> {
    const url = this.options.url;
    if (url === undefined) throw noBroker('rabbitmq', 'drivers.rabbitmq.url');
    const setup = spec.setup.options as unknown as RabbitSetupOptions;
    const base = `bp.${safeName(spec.caseId)}`;
    const dlq = setup.deliveryLimit || setup.retryQueues;
    // A custom setup's explicit x-delivery-limit is what the broker does, whatever the claim says.
    const limit = setup.queueArguments?.['x-delivery-limit'];
    const maxAttempts = dlq
      ? typeof limit === 'number'
        ? limit + 1
        : (spec.maxAttempts ?? spec.setup.claim.maxAttempts)
      : undefined;
    const descriptor: RabbitDescriptor = {
      url,
      urls: this.options.cluster?.urls,
      roles: this.options.roles,
      dest: base,
      exchange: base,
      queues: Object.fromEntries(spec.groups.map((g) => [g, `${base}.${safeName(g)}`])),
      deadLetters: dlq ? Object.fromEntries(spec.groups.map((g) => [g, `${base}.${safeName(g)}.dlq`])) : {},
      retries:
        setup.retryQueues && maxAttempts !== undefined
          ? Object.fromEntries(
              spec.groups.map((g) => [
                g,
                Array.from({ length: maxAttempts - 1 }, (_, k) => `${base}.${safeName(g)}.retry.${k + 1}`),
              ]),
            )
          : {},
      setup,
      maxAttempts,
      confirmTimeoutMs: this.options.confirmTimeoutMs ?? 5000,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 5000,
    };
    // From the first node on: a classic queue lives where it is declared (n1 on a cluster).
    const admin = await new NodeCursor(urlsFor(descriptor, 'admin'), 0).open({
      timeoutMs: descriptor.connectTimeoutMs,
      name: 'brokerproof admin',
    });
    const topology = new RabbitTopology(descriptor, admin, context.log, this.options.cluster?.nodes);
    const expiresMs = this.options.queueExpiresMs ?? 30 * 60_000;
    return createOrClean(topology, (t) => t.declare(expiresMs), `the RabbitMQ topology for ${spec.caseId}`);
  }

  async attach(
    descriptor: Readonly<Record<string, unknown>>,
    context: DriverContext,
  ): Promise<AttachedTopology> {
    return new RabbitClients(descriptor as RabbitDescriptor, context.log);
  }

  async close(): Promise<void> {}
}

type Admin = { model: ChannelModel; channel: ConfirmChannel };

class RabbitTopology extends RabbitClients implements CaseTopology {
  private disposed = false;
  private lastBacklog: { queues: QueueCount[]; error?: string } | undefined;
  private admin: Admin | undefined;
  private readonly version: unknown;

  constructor(
    descriptor: RabbitDescriptor,
    admin: Admin,
    log: (message: string) => void,
    private readonly nodes?: readonly ClusterNodeRef[],
  ) {
    super(descriptor, log);
    this.version = admin.model.connection.serverProperties.version;
    this.keep(admin);
  }

  /** Remembers the admin connection until it closes (a broker killed, a partition). */
  private keep(admin: Admin): Admin {
    this.admin = admin;
    const forget = () => {
      if (this.admin === admin) this.admin = undefined;
    };
    admin.model.once('close', forget);
    admin.channel.once('close', forget);
    return admin;
  }

  /** The admin channel, opened again when the last one died with the broker or the network. */
  private async adminChannel(): Promise<ConfirmChannel> {
    if (this.admin) return this.admin.channel;
    const d = this.descriptor;
    return this.keep(
      await new NodeCursor(urlsFor(d, 'admin'), 0).open({
        timeoutMs: d.connectTimeoutMs,
        name: 'brokerproof admin',
      }),
    ).channel;
  }

  /**
   * On a cluster: the node of the first work queue, as the management API of the first node that
   * answers reports it — a quorum queue's `leader`, a classic queue's `node` — by its cluster name.
   */
  async leader(): Promise<string | undefined> {
    const queue = Object.values(this.descriptor.queues)[0];
    if (!this.nodes || !queue) return undefined;
    let last: unknown;
    for (const node of this.nodes) {
      try {
        const info = await managementGet<{
          leader?: string;
          node?: string;
          type?: string;
          online?: string[];
        }>(node.address, `queues/%2F/${encodeURIComponent(queue)}`);
        // The queue record keeps a killed leader until a new one is elected: none leads until then.
        const owner =
          info.type === 'quorum'
            ? info.online?.includes(info.leader ?? '')
              ? info.leader
              : undefined
            : info.node;
        return this.nodes.find((n) => rabbitNodeName(n) === owner)?.name;
      } catch (error) {
        last = error;
      }
    }
    throw new Error(`no RabbitMQ node answered about ${queue}`, { cause: last });
  }

  private get allQueues(): string[] {
    const d = this.descriptor;
    return [...Object.values(d.queues), ...Object.values(d.deadLetters), ...Object.values(d.retries).flat()];
  }

  async declare(expiresMs: number): Promise<void> {
    const d = this.descriptor;
    const channel = await this.adminChannel();
    const setup = d.setup;
    await channel.assertExchange(d.exchange, 'fanout', { durable: true });
    for (const [group, queue] of Object.entries(d.queues)) {
      const args: Record<string, unknown> = { 'x-queue-type': setup.queueType, 'x-expires': expiresMs };
      if (setup.initialGroupSize) args['x-quorum-initial-group-size'] = setup.initialGroupSize;
      const deadLetter = d.deadLetters[group];
      if (deadLetter) {
        await channel.assertQueue(deadLetter, { durable: true, arguments: { 'x-expires': expiresMs } });
        args['x-dead-letter-exchange'] = '';
        args['x-dead-letter-routing-key'] = deadLetter;
        if (setup.deadLetterStrategy) args['x-dead-letter-strategy'] = setup.deadLetterStrategy;
        // At-least-once dead-lettering (quorum queues, 3.10+) works only with reject-publish
        // overflow: with the default drop-head RabbitMQ silently falls back to at-most-once.
        if (setup.deadLetterStrategy === 'at-least-once') args['x-overflow'] = 'reject-publish';
      }
      // x-delivery-limit counts redeliveries: N deliveries are the first plus N − 1 more.
      if (setup.deliveryLimit && d.maxAttempts !== undefined) args['x-delivery-limit'] = d.maxAttempts - 1;
      if (setup.singleActiveConsumer) args['x-single-active-consumer'] = true;
      // A custom setup's own arguments, as the team declares them (validated in its setups.ts).
      Object.assign(args, setup.queueArguments);
      await channel.assertQueue(queue, { durable: true, arguments: args } as Options.AssertQueue);
      await channel.bindQueue(queue, d.exchange, '');
      for (const retry of d.retries[group] ?? []) {
        // Expired retries dead-letter back to the work queue.
        await channel.assertQueue(retry, {
          durable: true,
          arguments: {
            'x-expires': expiresMs,
            'x-dead-letter-exchange': '',
            'x-dead-letter-routing-key': queue,
          },
        });
      }
    }
  }

  /**
   * Ready messages in every queue of the case (AMQP cannot count unacknowledged ones). When the
   * broker does not answer — killed, partitioned, a queue without a leader — there may be work
   * left: say 1, so the drain keeps waiting (and, if it never answers, ends cut off: "unknown").
   *
   * A quorum queue's declare-ok is no answer when it says 0 consumers: RabbitMQ reports 0 messages
   * and 0 consumers whenever the queue's leader does not reply within 250 ms (restarting after a
   * power loss, a busy node; see docs/findings.md). A work queue has the case's consumers on it
   * during the drain, so 0 consumers there means the count is not the queue's.
   */
  async backlog(): Promise<number | undefined> {
    const d = this.descriptor;
    const workQueues = new Set(Object.values(d.queues));
    const quorum = d.setup.queueType === 'quorum';
    const answers: QueueCount[] = [];
    const count = async () => {
      const channel = await this.adminChannel();
      let total = 0;
      for (const queue of this.allQueues) {
        const { messageCount, consumerCount } = await channel.checkQueue(queue);
        answers.push({ queue, ready: messageCount, consumers: consumerCount });
        if (quorum && consumerCount === 0 && workQueues.has(queue)) return Math.max(1, total);
        total += messageCount;
      }
      return total;
    };
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        this.lastBacklog = { queues: answers, error: `no answer within ${BACKLOG_TIMEOUT_MS} ms` };
        resolve(1);
      }, BACKLOG_TIMEOUT_MS);
    });
    try {
      const total = await Promise.race([count(), timeout]);
      if (!timedOut) this.lastBacklog = { queues: answers };
      return total;
    } catch (error) {
      this.lastBacklog = { queues: answers, error: describeError(error) };
      return 1;
    } finally {
      clearTimeout(timer);
    }
  }

  diagnostics(): Record<string, unknown> {
    return {
      broker: redactUrl(this.descriptor.url),
      version: this.version,
      exchange: this.descriptor.exchange,
      queues: this.allQueues,
      // What the broker said, queue by queue, the last time the drain asked (ready messages only).
      ...(this.lastBacklog && { lastBacklog: this.lastBacklog }),
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.close();
    const channel = await this.adminChannel().catch(() => undefined);
    if (channel) {
      for (const queue of this.allQueues) await channel.deleteQueue(queue).catch(() => {});
      await channel.deleteExchange(this.descriptor.exchange).catch(() => {});
    }
    await this.admin?.model.close().catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

const BACKLOG_TIMEOUT_MS = 2000;

/** One queue's declare-ok: its ready messages (not those handed to a consumer) and its consumers. */
interface QueueCount {
  queue: string;
  ready: number;
  consumers: number;
}
