import { CaseClients } from '../case-clients.ts';
import type { Consumer, KeyedEntry, Producer } from '../driver.ts';
import { KafkaConsumer } from './consumer.ts';
import { connectionOptions, type KafkaDescriptor } from './descriptor.ts';
import { readTopicKey } from './key-reader.ts';
import { KafkaProducer } from './producer.ts';

/** Producers and consumers of one case, in whichever process they run. */
export class KafkaClients extends CaseClients<KafkaDescriptor> {
  async producer(name: string): Promise<Producer> {
    const d = this.descriptor;
    return this.track(
      new KafkaProducer({
        connection: connectionOptions(d, `brokerproof-${name}`, 'producers'),
        topic: d.dest,
        partitions: d.partitions,
        acks: d.setup.acks,
        idempotent: d.setup.idempotent,
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

  /**
   * Kafka as the event store (`eventLog` single-writer): every record of `key`, in offset order,
   * read as a writer would (through the producers' brokers) — a scan of the key's partition.
   */
  async readKey(key: string): Promise<KeyedEntry[]> {
    return readTopicKey(this.descriptor, key, 'producers');
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
