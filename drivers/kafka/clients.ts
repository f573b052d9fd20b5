import { CaseClients } from '../case-clients.ts';
import type { Consumer, Producer } from '../driver.ts';
import type { ConnectionOptions, KafkaLogLevel } from './connection.ts';
import { KafkaConsumer } from './consumer.ts';
import { KafkaProducer } from './producer.ts';
import type { KafkaSetupOptions } from './setups.ts';

/** Timeouts every client of a case uses (ms). */
export interface KafkaTimeouts {
  send: number;
  connection: number;
  request: number;
  session: number;
  heartbeat: number;
  rebalance: number;
  transaction: number;
}

/** Everything another process needs to reach a case's topics. JSON. */
export interface KafkaDescriptor {
  [key: string]: unknown;
  brokers: string[];
  /** Prefix of every topic, group and transactional id of the case. */
  base: string;
  /** The work topic (also the `dest` every delivery reports). */
  dest: string;
  partitions: number;
  /** Kafka consumer group per subscriber group. */
  groups: Record<string, string>;
  /** Retry topics per group: `retries[group][n - 1]` holds messages due for their (n + 1)-th delivery. */
  retries: Record<string, string[]>;
  /** Dead-letter topic per group, and the consumer group that reads it. */
  deadLetters: Record<string, { topic: string; readers: string }>;
  /** A pipeline's output topic and the consumer group of its read_committed reader. */
  output: { topic: string; readers: string } | undefined;
  setup: KafkaSetupOptions;
  maxAttempts: number | undefined;
  timeouts: KafkaTimeouts;
  logLevel: KafkaLogLevel;
}

export function connectionOptions(d: KafkaDescriptor, clientId: string): ConnectionOptions {
  return {
    brokers: d.brokers,
    clientId,
    connectionTimeoutMs: d.timeouts.connection,
    requestTimeoutMs: d.timeouts.request,
    logLevel: d.logLevel,
  };
}

/** Producers and consumers of one case, in whichever process they run. */
export class KafkaClients extends CaseClients<KafkaDescriptor> {
  async producer(name: string): Promise<Producer> {
    const d = this.descriptor;
    return this.track(
      new KafkaProducer({
        connection: connectionOptions(d, `brokerproof-${name}`),
        topic: d.dest,
        partitions: d.partitions,
        acks: d.setup.acks,
        sendTimeoutMs: d.timeouts.send,
      }),
    );
  }

  async consumer(name: string, group: string): Promise<Consumer> {
    const d = this.descriptor;
    const groupId = d.groups[group];
    if (!groupId) throw new Error(`no consumer group for subscriber group ${group}`);
    const topics = [d.dest, ...(d.retries[group] ?? [])];
    return this.track(
      new KafkaConsumer({ descriptor: d, name, group, groupId, topics, role: 'work', log: this.log }),
    );
  }

  async deadLetterConsumer(name: string, group: string): Promise<Consumer> {
    const deadLetter = this.descriptor.deadLetters[group];
    if (!deadLetter) throw new Error(`group ${group} has no dead-letter topic in this setup`);
    return this.track(
      new KafkaConsumer({
        descriptor: this.descriptor,
        name,
        group,
        groupId: deadLetter.readers,
        topics: [deadLetter.topic],
        role: 'dead-letter',
        log: this.log,
      }),
    );
  }

  async outputConsumer(name: string): Promise<Consumer> {
    const output = this.descriptor.output;
    if (!output) throw new Error('this case has no output topic');
    return this.track(
      new KafkaConsumer({
        descriptor: this.descriptor,
        name,
        group: 'output-readers',
        groupId: output.readers,
        topics: [output.topic],
        role: 'output',
        log: this.log,
      }),
    );
  }
}
