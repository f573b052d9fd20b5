import type { HostPort } from '../../provision/endpoints.ts';
import { CaseClients } from '../case-clients.ts';
import type { Consumer, ConsumerOptions, Producer } from '../driver.ts';
import { HttpPushConsumer } from '../http-push/push-consumer.ts';
import { connectionFor, queueUrlFor, type SqsConnection } from './aws.ts';
import { SqsConsumer } from './consumer.ts';
import { SqsProducer } from './producer.ts';
import type { SqsSetupOptions } from './setups.ts';
import { decodeSnsHttp } from './sns-http.ts';

export interface QueueRef {
  name: string;
  url: string;
}

/** Everything another process needs to reach a case's queues and topic (no credentials). */
export interface SqsDescriptor {
  [key: string]: unknown;
  connection: SqsConnection;
  dest: string;
  /** Work queue per subscriber group. */
  queues: Record<string, QueueRef>;
  /** Dead-letter queue per group (setups with a RedrivePolicy). */
  deadLetters: Record<string, QueueRef>;
  /** SNS topic producers publish to (sns-fanout). */
  topicArn: string | undefined;
  setup: SqsSetupOptions;
  maxReceiveCount: number | undefined;
  visibilityTimeoutSeconds: number;
  waitTimeSeconds: number;
  receiveBatchSize: number;
  contentBasedDeduplication: boolean;
  /** `sns-http-fanout`: per group, the front its HTTP subscription posts to. */
  pushFronts?: Record<string, string> | undefined;
  /** Toxiproxy's API, where a push endpoint points its per-consumer proxy at itself. */
  toxiproxyApi?: string | undefined;
}

/**
 * Messages a consumer may hold or ask for at once when it receives ahead of its handler: five
 * receives of 10 under way. With fewer, ElasticMQ starved consumers behind the producers' batches
 * (docs/findings.md, "ElasticMQ serves a queue's requests in arrival order").
 */
const MAX_IN_FLIGHT = 50;

/** Producers and consumers of one case, in whichever process they run. */
export class SqsClients extends CaseClients<SqsDescriptor> {
  async producer(_name: string): Promise<Producer> {
    const d = this.descriptor;
    const fifo = d.setup.queueType === 'fifo';
    const [first] = Object.values(d.queues);
    if (!d.topicArn && !first) throw new Error('the topology has no queue to send to');
    const producer = new SqsProducer(
      connectionFor(d.connection, 'producers'),
      d.topicArn
        ? { kind: 'topic', arn: d.topicArn, envelope: d.setup.http === true }
        : {
            kind: 'queue',
            url: queueUrlFor(first!.url, d.connection, 'producers'),
            fifo,
            contentBasedDeduplication: d.contentBasedDeduplication,
          },
    );
    this.track(producer);
    return producer;
  }

  async consumer(name: string, group: string, options: ConsumerOptions = {}): Promise<Consumer> {
    const front = this.descriptor.pushFronts?.[group];
    if (front) {
      return this.track(
        new HttpPushConsumer({
          name,
          dest: this.descriptor.dest,
          decode: decodeSnsHttp,
          front,
          via: options.via,
          toxiproxyApi: this.descriptor.toxiproxyApi,
          log: this.log,
        }),
      );
    }
    const queue = this.descriptor.queues[group];
    if (!queue) throw new Error(`no queue for group ${group}`);
    return this.consumerOf(name, queue, this.descriptor.dest, false, options.via);
  }

  async deadLetterConsumer(name: string, group: string): Promise<Consumer> {
    const queue = this.descriptor.deadLetters[group];
    if (!queue) throw new Error(`group ${group} has no dead-letter queue in this setup`);
    return this.consumerOf(name, queue, queue.name, true);
  }

  private consumerOf(
    name: string,
    queue: QueueRef,
    dest: string,
    deadLetterReader: boolean,
    via?: HostPort,
  ): Consumer {
    const d = this.descriptor;
    const connection = via ? connectionVia(d.connection, via) : d.connection;
    const redrive = d.setup.deadLetter === true;
    // On dead-letter setups a consumer holds only what it handles: receives are the DLQ's counter.
    const sequential = redrive && !deadLetterReader;
    // Dead-letter readers are consumers too.
    const consumer = new SqsConsumer(connectionFor(connection, 'consumers'), {
      name,
      queueUrl: queueUrlFor(queue.url, connection, 'consumers'),
      dest,
      fifo: d.setup.queueType === 'fifo',
      deadLetterReader,
      redrive,
      visibilityTimeoutSeconds: d.visibilityTimeoutSeconds,
      waitTimeSeconds: d.waitTimeSeconds,
      receiveBatchSize: deadLetterReader ? 10 : d.receiveBatchSize,
      sequential,
      maxInFlight: sequential ? d.receiveBatchSize : Math.max(MAX_IN_FLIGHT, d.receiveBatchSize),
      log: this.log,
    });
    this.track(consumer);
    return consumer;
  }
}

/**
 * The connection with the consumers' endpoint moved to `via` (same scheme): the consumer's requests,
 * and the queue URLs rebased onto its endpoint, all go through that address.
 */
function connectionVia(connection: SqsConnection, via: HostPort): SqsConnection {
  const own = connectionFor(connection, 'consumers').endpoint;
  if (!own) throw new Error('an SQS consumer can only be routed through a proxy when its endpoint is known');
  const endpoint = new URL(own);
  endpoint.hostname = via.host;
  endpoint.port = String(via.port);
  const producers = connectionFor(connection, 'producers').endpoint ?? own;
  return { ...connection, roles: { producers, consumers: endpoint.origin } };
}
