import { randomBytes } from 'node:crypto';
import { createOrClean, describeError } from '../../core/errors.ts';
import type { FaultTargets } from '../../core/fault-targets.ts';
import type {
  AttachedTopology,
  CaseTopology,
  Driver,
  DriverCapabilities,
  DriverContext,
  TopologySpec,
} from '../driver.ts';
import { PushFront } from '../http-push/push-front.ts';
import { noBroker } from '../placement.ts';
import { newClient, type PubSubClient } from './client.ts';
import { PubsubClients } from './clients.ts';
import { type PubsubDescriptor, resourceName } from './descriptor.ts';
import { PUBSUB_SETUPS, type PubsubSetupOptions } from './setups.ts';

export interface PubsubDriverOptions {
  projectId: string;
  /** Emulator addresses (admin, and each role's own); undefined for Google Cloud. */
  endpoints: PubsubDescriptor['endpoints'];
  /** True when the driver has nowhere to create topologies (worker processes attach only). */
  attachOnly: boolean;
  ackDeadlineSeconds: number;
  maxExtensionSeconds: number;
  publishTimeoutMs: number;
  flowControlMessages: number;
  retryMinBackoffMs: number;
  retryMaxBackoffMs: number;
  /** The emulator's Toxiproxy proxies (network faults only: see setups.ts). */
  faultTargets?: FaultTargets | undefined;
}

/** Max delivery attempts Pub/Sub accepts on a dead-letter policy. */
export const MAX_ATTEMPTS_RANGE = { min: 5, max: 100 } as const;

/** A protobuf Duration from milliseconds. */
export function durationOf(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/**
 * Google Cloud Pub/Sub with @google-cloud/pubsub, against the emulator (or Google Cloud): a topic
 * per case, a subscription per subscriber group, streaming pull, ordering keys, dead-letter topics
 * with retry policies, exactly-once delivery. Consumers can run in their own processes (`attach`).
 */
export class PubsubDriver implements Driver {
  readonly name = 'pubsub';
  readonly description: string;
  readonly capabilities: DriverCapabilities;
  readonly setups = PUBSUB_SETUPS;
  readonly faultTargets: FaultTargets | undefined;

  constructor(private readonly options: PubsubDriverOptions) {
    this.faultTargets = options.faultTargets;
    this.description = `Google Cloud Pub/Sub with @google-cloud/pubsub, on ${options.endpoints ? `the emulator at ${options.endpoints.admin}` : `Google Cloud (project ${options.projectId})`}`;
    const deadlineMs = options.ackDeadlineSeconds * 1000;
    this.capabilities = {
      fanOut: true,
      processIsolation: true,
      // Pub/Sub cannot count what is outstanding (no backlog in the emulator; Cloud Monitoring lags
      // by minutes): `backlog` says 0 and the drain waits for quiet long enough that whatever a
      // dead or cut-off consumer held has come back: the emulator hands a killed consumer's
      // messages back in waves an ack deadline apart (200 held: half after 10 s, half after 20 s),
      // and an expired lease is backed off by the retry policy too. Two deadlines, the longest
      // backoff and a margin; a case with a late crash needs a drain deadline well past this.
      drainSettleMs: 2 * deadlineMs + options.retryMaxBackoffMs + 2000,
      // Room for the waves to come back and then the settle's quiet, with a margin — and for the
      // 60 s leases the library takes on exactly-once subscriptions (consumer.ts) to run out.
      minDrainMs: Math.max(
        4 * deadlineMs + options.retryMaxBackoffMs + 12_000,
        EXACTLY_ONCE_LEASE_MS + 30_000,
      ),
      settlesByHistory: true,
      silenceTimeoutMs: deadlineMs,
      consumerVia: options.endpoints !== undefined,
    };
  }

  async createTopology(spec: TopologySpec, context: DriverContext): Promise<CaseTopology> {
    const o = this.options;
    if (o.attachOnly) throw noBroker('pubsub', 'drivers.pubsub.apiEndpoint');
    const setup = spec.setup.options as unknown as PubsubSetupOptions;
    const token = randomBytes(3).toString('hex');
    const dest = resourceName(spec.caseId, token);
    const maxAttempts = setup.deadLetter
      ? (setup.maxDeliveryAttempts ?? spec.maxAttempts ?? spec.setup.claim.maxAttempts ?? 5)
      : undefined;
    if (
      maxAttempts !== undefined &&
      (maxAttempts < MAX_ATTEMPTS_RANGE.min || maxAttempts > MAX_ATTEMPTS_RANGE.max)
    ) {
      throw new Error(
        `Pub/Sub dead-letter policies take ${MAX_ATTEMPTS_RANGE.min}–${MAX_ATTEMPTS_RANGE.max} delivery attempts, not ${maxAttempts}`,
      );
    }
    const descriptor: PubsubDescriptor = {
      projectId: o.projectId,
      endpoints: o.endpoints,
      dest,
      subscriptions: Object.fromEntries(
        spec.groups.map((g) => [g, resourceName(spec.caseId, token, 's', g)]),
      ),
      deadLetters: setup.deadLetter
        ? Object.fromEntries(
            spec.groups.map((g) => [
              g,
              {
                topic: resourceName(spec.caseId, token, 'dlq', g),
                subscription: resourceName(spec.caseId, token, 'dlq', g, 's'),
              },
            ]),
          )
        : {},
      setup,
      ackDeadlineSeconds: o.ackDeadlineSeconds,
      maxExtensionSeconds: o.maxExtensionSeconds,
      publishTimeoutMs: o.publishTimeoutMs,
      flowControlMessages: o.flowControlMessages,
      toxiproxyApi: o.faultTargets?.roles?.consumers?.apiUrl,
    };
    if (setup.push && !o.endpoints)
      throw new Error(
        'setup push needs an endpoint the broker can reach: it runs on the emulator only (Google Cloud cannot push to this machine)',
      );
    const admin = await newClient(descriptor, 'admin');
    const topology = new PubsubTopology(descriptor, admin, context.log);
    return createOrClean(
      topology,
      (t) =>
        t.declare({
          maxAttempts,
          retryMinBackoffMs: setup.retryBackoffMs?.min ?? o.retryMinBackoffMs,
          retryMaxBackoffMs: setup.retryBackoffMs?.max ?? o.retryMaxBackoffMs,
          retryPolicy: setup.retryBackoffMs !== undefined,
        }),
      `the Pub/Sub topology for ${spec.caseId}${o.endpoints ? ` on the emulator at ${o.endpoints.admin}` : ''}`,
    );
  }

  async attach(
    descriptor: Readonly<Record<string, unknown>>,
    context: DriverContext,
  ): Promise<AttachedTopology> {
    return new PubsubClients(descriptor as PubsubDescriptor, context.log);
  }

  async close(): Promise<void> {}
}

interface DeclareOptions {
  maxAttempts: number | undefined;
  retryMinBackoffMs: number;
  retryMaxBackoffMs: number;
  /** A retry policy also on subscriptions without a dead-letter policy (custom setups). */
  retryPolicy: boolean;
}

/** The emulator pushes a message that got no 2xx again after about 1 s (measured): 3 s covers it. */
const PUSH_RETRY_WINDOW_MS = 3000;

/**
 * @google-cloud/pubsub raises the stream ack deadline to 60 s on exactly-once subscriptions; what
 * a consumer held when it died may come back only that long after (docs/drivers/pubsub.md).
 */
const EXACTLY_ONCE_LEASE_MS = 60_000;

/** Admin calls give up after this long (the emulator answers in milliseconds). */
const ADMIN_TIMEOUT = { timeout: 10_000 };

class PubsubTopology extends PubsubClients implements CaseTopology {
  private disposed = false;
  private readonly topics: string[] = [];
  private readonly subscriptions: string[] = [];
  private readonly fronts: PushFront[] = [];

  constructor(
    descriptor: PubsubDescriptor,
    private readonly admin: PubSubClient,
    log: (message: string) => void,
  ) {
    super(descriptor, log);
  }

  private async createTopic(name: string): Promise<void> {
    await this.admin.createTopic(name, ADMIN_TIMEOUT);
    this.topics.push(name);
  }

  async declare(options: DeclareOptions): Promise<void> {
    const d = this.descriptor;
    await this.createTopic(d.dest);
    for (const [group, name] of Object.entries(d.subscriptions)) {
      const dlq = d.deadLetters[group];
      const pushEndpoint = d.setup.push ? await this.startFront(group) : undefined;
      if (dlq) {
        await this.createTopic(dlq.topic);
        await this.admin.topic(dlq.topic).createSubscription(dlq.subscription, {
          ackDeadlineSeconds: d.ackDeadlineSeconds,
          gaxOpts: ADMIN_TIMEOUT,
        });
        this.subscriptions.push(dlq.subscription);
      }
      await this.admin.topic(d.dest).createSubscription(name, {
        ackDeadlineSeconds: d.ackDeadlineSeconds,
        enableMessageOrdering: d.setup.ordering === true,
        enableExactlyOnceDelivery: d.setup.exactlyOnce === true,
        ...(pushEndpoint && { pushConfig: { pushEndpoint } }),
        ...(dlq &&
          options.maxAttempts !== undefined && {
            deadLetterPolicy: {
              deadLetterTopic: this.admin.topic(dlq.topic).name,
              maxDeliveryAttempts: options.maxAttempts,
            },
          }),
        ...(((dlq && options.maxAttempts !== undefined) || options.retryPolicy) && {
          retryPolicy: {
            minimumBackoff: durationOf(options.retryMinBackoffMs),
            maximumBackoff: durationOf(options.retryMaxBackoffMs),
          },
        }),
        gaxOpts: ADMIN_TIMEOUT,
      });
      this.subscriptions.push(name);
    }
  }

  /** The group's push front: where its subscription pushes, and its endpoints register. */
  private async startFront(group: string): Promise<string> {
    const front = await PushFront.start({ name: `push front of ${group}`, log: this.log });
    this.fronts.push(front);
    this.descriptor.pushFronts = { ...this.descriptor.pushFronts, [group]: front.url };
    return `${front.url}/push`;
  }

  /**
   * Always 0: Pub/Sub cannot say what is outstanding (see `drainSettleMs`: the drain then waits an
   * ack deadline of quiet and a margin, instead of trusting this count).
   */
  async backlog(): Promise<number | undefined> {
    if (this.fronts.length === 0) return 0;
    // Push: what the fronts know is still owed (a request being answered, or a push that failed
    // within the last PUSH_RETRY_WINDOW_MS: the emulator pushes it again about a second later);
    // else it cannot tell, and the drain ends after the runner's quiet period instead.
    const owed = this.fronts.reduce((n, f) => n + f.outstanding(PUSH_RETRY_WINDOW_MS), 0);
    return owed > 0 ? owed : undefined;
  }

  diagnostics(): Record<string, unknown> {
    const d = this.descriptor;
    return {
      endpoint: d.endpoints?.admin ?? 'Google Cloud',
      ...(d.endpoints?.roles && { roles: d.endpoints.roles }),
      projectId: d.projectId,
      topics: [...this.topics],
      subscriptions: [...this.subscriptions],
      ackDeadlineSeconds: d.ackDeadlineSeconds,
      maxExtensionSeconds: d.maxExtensionSeconds,
      flowControlMessages: d.flowControlMessages,
      ...(this.fronts.length > 0 && { pushFronts: this.fronts.map((f) => ({ url: f.url, ...f.stats })) }),
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.close();
    const left: string[] = [];
    for (const name of this.subscriptions) {
      await this.admin
        .subscription(name)
        .delete({ timeout: 10_000 })
        .catch((error: unknown) => left.push(`${name} (${describeError(error)})`));
    }
    for (const name of this.topics) {
      await this.admin
        .topic(name)
        .delete({ timeout: 10_000 })
        .catch((error: unknown) => left.push(`${name} (${describeError(error)})`));
    }
    await Promise.allSettled(this.fronts.map((f) => f.close()));
    await this.admin.close().catch(() => {});
    if (left.length > 0) this.log(`could not delete Pub/Sub resources: ${left.join(', ')}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
