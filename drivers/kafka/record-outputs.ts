import type { Producer as KafkaJsProducer } from 'kafkajs';
import { describeError } from '../../core/errors.ts';
import type { AckOutcome, OutgoingMessage } from '../driver.ts';
import { classify, type KafkaConnection, within } from './connection.ts';
import { type KafkaWorkDelivery, ok, RETRY_PAUSE_MS } from './delivery.ts';
import type { KafkaDescriptor } from './descriptor.ts';
import { HEADER, toRecord } from './messages.ts';

/**
 * What a work record sends elsewhere before its offset is committed: a copy to a retry or
 * dead-letter topic, or a pipeline's output record (without a transaction). One idempotent
 * producer per connection (acks=-1), made when first needed.
 */
export class RecordOutputs {
  private side: { connection: KafkaConnection; producer: Promise<KafkaJsProducer> } | undefined;

  constructor(
    private readonly descriptor: KafkaDescriptor,
    /** The runner's subscriber group: its retry and dead-letter topics. */
    private readonly group: string,
    private readonly live: (connection: KafkaConnection) => boolean,
  ) {}

  /**
   * The retry-topic pattern: a failed record goes to the retry topic of its attempt with a due time
   * (its backoff), or after the last attempt to the group's dead-letter topic; the original is then
   * committed. A crash in between delivers it twice (at-least-once), never loses it.
   */
  async retryLater(delivery: KafkaWorkDelivery, requeue: boolean, delayMs: number): Promise<AckOutcome> {
    const { connection, partition } = delivery.record;
    const body = delivery.body();
    const attempt = delivery.attempt;
    const d = this.descriptor;
    const headers: Record<string, string> = {
      [HEADER.originPartition]: String(delivery.partition),
      [HEADER.originOffset]: String(delivery.offset),
    };
    const retryTopic = d.retries[this.group]?.[attempt - 1];
    let topic: string;
    if (!requeue || (d.maxAttempts !== undefined && attempt >= d.maxAttempts) || !retryTopic) {
      const deadLetter = d.deadLetters[this.group];
      if (!deadLetter) {
        delivery.redeliver(delayMs);
        return ok;
      }
      topic = deadLetter.topic;
      headers[HEADER.attempt] = String(attempt);
      headers[HEADER.reason] = requeue ? 'max-attempts' : 'rejected';
    } else {
      topic = retryTopic;
      headers[HEADER.attempt] = String(attempt + 1);
      headers[HEADER.due] = String(Date.now() + delayMs);
    }
    const sent = await this.produce(connection, topic, partition, body, headers);
    if (sent.status !== 'ok') {
      delivery.redeliver(RETRY_PAUSE_MS);
      return sent;
    }
    return delivery.commit();
  }

  /** Sequential pipeline: the output is produced, then the input committed; a crash in between repeats it. */
  async forwardThenCommit(
    delivery: KafkaWorkDelivery,
    out: OutgoingMessage,
    output: string,
    hooks: { beforeCommit?: () => Promise<void> } | undefined,
  ): Promise<AckOutcome> {
    const { connection, partition } = delivery.record;
    const sent = await this.produce(connection, output, partition, out, {});
    if (sent.status !== 'ok') {
      delivery.redeliver(RETRY_PAUSE_MS);
      return sent;
    }
    await hooks?.beforeCommit?.();
    if (!this.live(connection)) return { status: 'info', error: 'crashed between the output and the commit' };
    return delivery.commit();
  }

  /** One record to a retry, dead-letter or output topic, with an idempotent producer (acks=-1). */
  private async produce(
    connection: KafkaConnection,
    topic: string,
    partition: number,
    message: OutgoingMessage,
    headers: Record<string, string>,
  ): Promise<AckOutcome> {
    if (this.side?.connection !== connection) {
      const producer = connection.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      this.side = { connection, producer: producer.connect().then(() => producer) };
    }
    const side = this.side;
    let producer: KafkaJsProducer;
    try {
      producer = await side.producer;
    } catch (error) {
      if (this.side === side) this.side = undefined;
      return {
        status: 'fail',
        error: `cannot connect a producer, nothing was sent: ${describeError(error)}`,
      };
    }
    const timeout = this.descriptor.timeouts.send;
    // After a send that did not end ok, a new producer id (kafkajs reuses the sequence numbers of
    // a batch it gave up on even if the broker wrote it: see KafkaProducer).
    const retire = () => {
      if (this.side !== side) return;
      this.side = undefined;
      void producer.disconnect().catch(() => {});
    };
    try {
      const sent = await within(
        producer.send({ topic, acks: -1, messages: [toRecord(message, partition, headers)] }),
        timeout,
      );
      if (sent.done) return ok;
      retire();
      return { status: 'info', error: `no acknowledgement from ${topic} within ${timeout} ms` };
    } catch (error) {
      retire();
      return classify(error, `producing to ${topic}`);
    }
  }

  disconnect(): Promise<unknown> {
    const side = this.side;
    return side ? side.producer.then((p) => p.disconnect()).catch(() => {}) : Promise.resolve();
  }
}
