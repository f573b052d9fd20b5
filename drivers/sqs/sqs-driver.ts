import {
  CreateTopicCommand,
  DeleteTopicCommand,
  type SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
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
import type { PushFront } from '../http-push/push-front.ts';
import { noBroker } from '../placement.ts';
import { CaseNames, errorName, type SqsConnection, snsClient, sqsClient } from './aws.ts';
import { type QueueRef, SqsClients, type SqsDescriptor } from './clients.ts';
import type { SqsImplementation } from './settings.ts';
import { SQS_SETUPS, type SqsSetupOptions } from './setups.ts';
import { subscribeHttpGroups } from './sns-http.ts';

export interface SqsDriverOptions {
  connection: SqsConnection;
  /** SNS is served at the same endpoint (moto, AWS; not ElasticMQ). */
  sns: boolean;
  /** The endpoint is a Toxiproxy listener (faults can be injected). */
  proxied: boolean;
  visibilityTimeoutSeconds: number;
  receiveBatchSize: number | undefined;
  contentBasedDeduplication: boolean;
  namePrefix: string;
  /** The emulator's Toxiproxy proxy and process, when provisioned (network and broker faults). */
  faultTargets?: FaultTargets | undefined;
}

const IMPLEMENTATION_NAMES: Record<SqsImplementation, string> = {
  elasticmq: 'ElasticMQ',
  moto: 'moto',
  aws: 'AWS',
};

/** Which implementations serve SNS, for the message that says why sns-fanout cannot run. */
export function snsUnavailable(implementation: SqsImplementation, setup = 'sns-fanout'): string {
  return `setup ${setup} needs SNS, which ${IMPLEMENTATION_NAMES[implementation]} does not serve: select implementation moto or aws (drivers.sqs.implementation in the config, or BROKERPROOF_SQS_IMPLEMENTATION=moto)`;
}

/**
 * Amazon SQS (and SNS + SQS fan-out) on the AWS SDK v3, against ElasticMQ, moto or AWS: standard
 * and FIFO queues, visibility timeouts, ChangeMessageVisibility backoff, RedrivePolicy dead-letter
 * queues, SNS topics with raw-delivery queue subscriptions. Queues and topics are created and
 * deleted per case. Consumers can run in their own processes (`attach`).
 */
export class SqsDriver implements Driver {
  readonly name = 'sqs';
  readonly description: string;
  readonly capabilities: DriverCapabilities;
  readonly setups: readonly Setup[];
  readonly faultTargets: FaultTargets | undefined;

  constructor(private readonly options: SqsDriverOptions) {
    this.faultTargets = options.faultTargets;
    const implementation = options.connection.implementation;
    // Setups this implementation cannot serve say so, instead of failing at topology creation.
    this.setups = SQS_SETUPS.map((s) =>
      (s.options as unknown as SqsSetupOptions).sns && !options.sns
        ? { ...s, unavailable: snsUnavailable(implementation, s.name) }
        : s,
    );
    this.description = `Amazon SQS${options.sns ? ' and SNS' : ''} with the AWS SDK v3, on ${IMPLEMENTATION_NAMES[implementation]}${
      options.sns ? '' : ' (no SNS: sns-fanout needs moto or AWS)'
    }`;
    this.capabilities = {
      fanOut: options.sns,
      processIsolation: true,
      // Queue counts include in-flight messages; AWS's are approximate and lag, so wait longer there.
      drainSettleMs: implementation === 'aws' ? 5000 : 200,
      // A received message becomes visible again after the visibility timeout.
      silenceTimeoutMs: options.visibilityTimeoutSeconds * 1000,
      // Every request goes to the endpoint (queue URLs rebased onto it); AWS's is not ours to proxy.
      consumerVia: implementation !== 'aws',
      // Each request is an HTTP round trip that the emulators serve at 1–2.5k messages/s here in
      // batches of 10, and about 450/s while consumers poll the same queue (docs/performance.md).
      slowestSendRate: 400,
      // ElasticMQ serves a queue's requests in turn: 256 sends (26 batches) in flight per producer
      // left one consumer 1–42 of 800 messages a second and 10^6 queued (docs/performance.md).
      maxSendWindow: 20,
    };
  }

  async createTopology(spec: TopologySpec, context: DriverContext): Promise<CaseTopology> {
    const setup = spec.setup.options as unknown as SqsSetupOptions;
    const { connection } = this.options;
    if (connection.endpoint === undefined && connection.implementation !== 'aws')
      throw noBroker('sqs', 'drivers.sqs.endpoint');
    if (setup.sns && !this.options.sns)
      throw new Error(snsUnavailable(connection.implementation, spec.setup.name));
    if (!setup.sns && spec.groups.length > 1) {
      throw new Error(
        `setup ${spec.setup.name} has one queue and cannot give ${spec.groups.length} subscriber groups every message: use sns-fanout`,
      );
    }
    const fifo = setup.queueType === 'fifo';
    const names = new CaseNames(this.options.namePrefix, spec.caseId, fifo);
    const redrive = setup.deadLetter === true;
    const attributes = setup.queueAttributes ?? {};
    const maxReceiveCount = redrive
      ? (attributes.RedrivePolicy?.maxReceiveCount ?? spec.maxAttempts ?? spec.setup.claim.maxAttempts ?? 3)
      : undefined;
    const topology = new SqsTopology(
      {
        connection,
        dest: setup.sns ? names.topic() : names.queue(spec.groups[0] ?? 'default'),
        queues: {},
        deadLetters: {},
        topicArn: undefined,
        setup,
        maxReceiveCount,
        visibilityTimeoutSeconds: attributes.VisibilityTimeout ?? this.options.visibilityTimeoutSeconds,
        waitTimeSeconds: connection.waitTimeSeconds,
        receiveBatchSize: setup.receiveBatchSize ?? this.options.receiveBatchSize ?? (redrive ? 1 : 10),
        contentBasedDeduplication:
          fifo && (attributes.ContentBasedDeduplication ?? this.options.contentBasedDeduplication),
        toxiproxyApi:
          this.options.faultTargets?.roles?.consumers?.apiUrl ?? this.options.faultTargets?.toxiproxy?.apiUrl,
      },
      this.options,
      context.log,
    );
    const where = `${IMPLEMENTATION_NAMES[connection.implementation]}${connection.endpoint ? ` at ${connection.endpoint}` : ''}`;
    return createOrClean(
      topology,
      (t) => t.declare(spec.groups, names),
      `the SQS topology for ${spec.caseId} on ${where}`,
    );
  }

  async attach(
    descriptor: Readonly<Record<string, unknown>>,
    context: DriverContext,
  ): Promise<AttachedTopology> {
    return new SqsClients(descriptor as SqsDescriptor, context.log);
  }

  async close(): Promise<void> {}
}

/** A backlog of 0 is believed after a second look this much later. */
const BACKLOG_RECHECK_MS = 100;

const COUNT_ATTRIBUTES: QueueAttributeName[] = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
];

class SqsTopology extends SqsClients implements CaseTopology {
  private disposed = false;
  private readonly admin: SQSClient;
  private sns: SNSClient | undefined;
  private readonly subscriptions: string[] = [];
  private readonly created: QueueRef[] = [];
  private fronts: PushFront[] = [];

  constructor(
    descriptor: SqsDescriptor,
    private readonly driverOptions: SqsDriverOptions,
    log: (message: string) => void,
  ) {
    super(descriptor, log);
    this.admin = sqsClient(descriptor.connection, true);
  }

  private async createQueue(
    name: string,
    attributes: Record<string, string>,
  ): Promise<QueueRef & { arn: string }> {
    const { QueueUrl } = await this.admin.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
    const ref = { name, url: QueueUrl };
    this.created.push(ref);
    const { Attributes } = await this.admin.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const arn = Attributes?.QueueArn;
    if (!arn) throw new Error(`queue ${name} has no QueueArn`);
    return { ...ref, arn };
  }

  async declare(groups: readonly string[], names: CaseNames): Promise<void> {
    const d = this.descriptor;
    const fifo = d.setup.queueType === 'fifo';
    const common: Record<string, string> = {
      VisibilityTimeout: String(d.visibilityTimeoutSeconds),
      ...(fifo && { FifoQueue: 'true' }),
      ...(d.contentBasedDeduplication && { ContentBasedDeduplication: 'true' }),
      ...(d.setup.queueAttributes?.DelaySeconds !== undefined && {
        DelaySeconds: String(d.setup.queueAttributes.DelaySeconds),
      }),
    };
    if (d.setup.sns) {
      this.sns = snsClient(d.connection, true);
      const { TopicArn } = await this.sns.send(new CreateTopicCommand({ Name: d.dest }));
      if (!TopicArn) throw new Error(`CreateTopic ${d.dest} returned no TopicArn`);
      d.topicArn = TopicArn;
      if (d.setup.http) {
        const http = await subscribeHttpGroups(this.sns, TopicArn, groups, this.log);
        this.fronts = [...http.fronts.values()];
        this.subscriptions.push(...http.subscriptions);
        d.pushFronts = Object.fromEntries([...http.fronts].map(([g, f]) => [g, f.url]));
        return;
      }
    }
    for (const group of groups) {
      const attributes = { ...common };
      if (d.maxReceiveCount !== undefined) {
        // A FIFO queue needs a FIFO dead-letter queue.
        const dlq = await this.createQueue(names.queue(group, true), fifo ? { FifoQueue: 'true' } : {});
        d.deadLetters[group] = { name: dlq.name, url: dlq.url };
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: dlq.arn,
          maxReceiveCount: d.maxReceiveCount,
        });
      }
      if (d.topicArn) {
        // Real AWS delivers to a queue only if its policy lets the topic send.
        attributes.Policy = JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: '*',
              Condition: { ArnEquals: { 'aws:SourceArn': d.topicArn } },
            },
          ],
        });
      }
      const queue = await this.createQueue(names.queue(group), attributes);
      d.queues[group] = { name: queue.name, url: queue.url };
      if (d.topicArn && this.sns) {
        const { SubscriptionArn } = await this.sns.send(
          new SubscribeCommand({
            TopicArn: d.topicArn,
            Protocol: 'sqs',
            Endpoint: queue.arn,
            Attributes: { RawMessageDelivery: 'true' },
            ReturnSubscriptionArn: true,
          }),
        );
        if (SubscriptionArn) this.subscriptions.push(SubscriptionArn);
      }
    }
  }

  /**
   * Visible, in-flight and delayed messages in every queue of the case. Work queues are counted
   * before dead-letter queues (redrive moves messages that way), and a count of 0 is confirmed by a
   * second look: a message on its way from a queue to its DLQ is in neither for a moment, and the
   * drain must not end then.
   */
  async backlog(): Promise<number | undefined> {
    // SNS → HTTP: what is being pushed right now (moto pushes inside Publish and never retries).
    if (this.fronts.length > 0) return this.fronts.reduce((n, f) => n + f.outstanding(0), 0);
    try {
      const first = await this.count();
      if (first > 0) return first;
      await sleep(BACKLOG_RECHECK_MS);
      return await this.count();
    } catch {
      return undefined;
    }
  }

  private async count(): Promise<number> {
    const d = this.descriptor;
    const deadLetters = new Set(Object.values(d.deadLetters).map((q) => q.url));
    const work = this.created.filter((q) => !deadLetters.has(q.url));
    const dead = this.created.filter((q) => deadLetters.has(q.url));
    let total = 0;
    for (const queues of [work, dead]) {
      const counts = await Promise.all(
        queues.map(async ({ url }) => {
          const { Attributes = {} } = await this.admin.send(
            new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: COUNT_ATTRIBUTES }),
          );
          return COUNT_ATTRIBUTES.reduce((sum, name) => sum + (Number(Attributes[name]) || 0), 0);
        }),
      );
      total += counts.reduce((a, b) => a + b, 0);
    }
    return total;
  }

  diagnostics(): Record<string, unknown> {
    const d = this.descriptor;
    return {
      implementation: d.connection.implementation,
      endpoint: d.connection.endpoint ?? 'AWS default endpoint',
      ...(d.connection.roles && { roles: d.connection.roles }),
      region: d.connection.region,
      proxied: this.driverOptions.proxied,
      queues: this.created.map((q) => q.name),
      topic: d.topicArn,
      maxReceiveCount: d.maxReceiveCount,
      visibilityTimeoutSeconds: d.visibilityTimeoutSeconds,
      receiveBatchSize: d.receiveBatchSize,
      waitTimeSeconds: d.waitTimeSeconds,
      ...(this.fronts.length > 0 && { pushFronts: this.fronts.map((f) => ({ url: f.url, ...f.stats })) }),
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.close();
    if (this.sns) {
      for (const arn of this.subscriptions) {
        await this.sns.send(new UnsubscribeCommand({ SubscriptionArn: arn })).catch(() => {});
      }
      if (this.descriptor.topicArn) {
        await this.sns.send(new DeleteTopicCommand({ TopicArn: this.descriptor.topicArn })).catch(() => {});
      }
      this.sns.destroy();
    }
    await Promise.allSettled(this.fronts.map((f) => f.close()));
    for (const queue of this.created) {
      await this.admin.send(new DeleteQueueCommand({ QueueUrl: queue.url })).catch((error: unknown) => {
        if (errorName(error) !== 'QueueDoesNotExist')
          this.log(`could not delete queue ${queue.name}: ${describeError(error)}`);
      });
    }
    this.admin.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
