import type { Producer as KafkaJsProducer, RecordMetadata } from 'kafkajs';
import { describeError } from '../../core/errors.ts';
import type { OutgoingMessage, Producer, SendOutcome } from '../driver.ts';
import { type ConnectionOptions, classify, KafkaConnection, within } from './connection.ts';
import { partitionerFor, toRecord } from './messages.ts';

export interface KafkaProducerOptions {
  connection: ConnectionOptions;
  topic: string;
  partitions: number;
  /** -1: idempotent producer, every in-sync replica acknowledges; 0: fire and forget. */
  acks: -1 | 0 | 1;
  /** Default: idempotent unless acks is 0. */
  idempotent?: boolean | undefined;
  sendTimeoutMs: number;
}

interface Pending {
  message: OutgoingMessage;
  partition: number;
  done: (outcome: SendOutcome) => void;
}

/** Records sent in one produce request at most (kafkajs sends one request per batch). */
const MAX_BATCH = 500;

/**
 * The runner's producer. An idempotent kafkajs producer sends one request at a time per broker, so
 * sends that arrive while a request is in flight are batched into the next one (like the Java
 * client's linger): every send still gets its own outcome, partition and offset. `ok` once the
 * broker acknowledged (acks=-1), `fail` when it refused or nothing could be sent, `info` when the
 * outcome is unknown (timeout, lost connection, acks=0).
 */
export class KafkaProducer implements Producer {
  private readonly connection: KafkaConnection;
  private readonly producer: KafkaJsProducer;
  private connected: Promise<void> | undefined;
  private readonly queue: Pending[] = [];
  private flushing = false;
  private closed = false;
  private readonly partitionOf: (key: string | undefined) => number;

  constructor(private readonly options: KafkaProducerOptions) {
    this.connection = new KafkaConnection(options.connection);
    const fireAndForget = options.acks === 0;
    const idempotent = options.idempotent ?? options.acks === -1;
    this.producer = this.connection.kafka.producer({
      idempotent,
      maxInFlightRequests: fireAndForget ? undefined : 1,
      allowAutoTopicCreation: false,
      // Without idempotence a retry after a lost answer writes the record again: no retries
      // (kafkajs still refreshes its metadata after a failed send, so the next one finds the leader).
      ...(!idempotent && { retry: { retries: 0 } }),
    });
    this.partitionOf = partitionerFor(options.topic, options.partitions);
  }

  send(message: OutgoingMessage): Promise<SendOutcome> {
    if (this.closed) return Promise.resolve({ status: 'fail', error: 'producer closed' });
    return new Promise<SendOutcome>((done) => {
      this.queue.push({ message, partition: this.partitionOf(message.key), done });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      await this.sendBatch(this.queue.splice(0, MAX_BATCH));
      // Linger one turn of the event loop: the senders just answered queue their next messages.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.flushing = false;
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    const { sendTimeoutMs, topic, acks } = this.options;
    const started = Date.now();
    try {
      const connected = await within(this.connect(), sendTimeoutMs);
      if (!connected.done) {
        for (const p of batch)
          p.done({ status: 'fail', error: `not connected within ${sendTimeoutMs} ms: nothing was sent` });
        return;
      }
    } catch (error) {
      for (const p of batch)
        p.done({ status: 'fail', error: `cannot connect, nothing was sent: ${describeError(error)}` });
      return;
    }
    const sending = this.producer.send({
      topic,
      acks,
      messages: batch.map((p) => toRecord(p.message, p.partition)),
    });
    try {
      const result = await within(sending, Math.max(1, sendTimeoutMs - (Date.now() - started)));
      if (!result.done) {
        for (const p of batch)
          p.done({ status: 'info', error: `no acknowledgement within ${sendTimeoutMs} ms` });
        return;
      }
      if (acks === 0) {
        for (const p of batch)
          p.done({ status: 'info', error: 'acks=0: the broker confirms nothing', final: true });
        return;
      }
      settle(batch, result.value);
    } catch (error) {
      const outcome = classify(error, 'produce');
      for (const p of batch) p.done(outcome);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.producer.disconnect().catch(() => {});
  }
}

/** Each message's offset: its partition's base offset plus its place among that partition's records. */
function settle(batch: Pending[], metadata: RecordMetadata[]): void {
  const next = new Map<number, number>();
  for (const m of metadata) {
    if (m.baseOffset !== undefined && m.errorCode === 0) next.set(m.partition, Number(m.baseOffset));
  }
  for (const p of batch) {
    const offset = next.get(p.partition);
    if (offset === undefined) {
      p.done({ status: 'info', error: `no offset for partition ${p.partition} in the broker's answer` });
      continue;
    }
    next.set(p.partition, offset + 1);
    p.done({ status: 'ok', partition: p.partition, offset });
  }
}
