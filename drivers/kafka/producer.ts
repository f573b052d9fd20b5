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

/** One kafkajs producer (its own producer id and sockets): replaced after a send that did not end `ok`. */
interface Session {
  producer: KafkaJsProducer;
  connected: Promise<void> | undefined;
}

/**
 * The runner's producer. An idempotent kafkajs producer sends one request at a time per broker, so
 * sends that arrive while a request is in flight are batched into the next one (like the Java
 * client's linger): every send still gets its own outcome, partition and offset. `ok` once the
 * broker acknowledged (acks=-1), `fail` when it refused or nothing could be sent, `info` when the
 * outcome is unknown (timeout, lost connection, acks=0).
 *
 * After a batch that did not end `ok`, the next batch goes through a new kafkajs producer (a new
 * producer id). kafkajs (2.2.4) takes a failed batch's sequence numbers back even when the broker
 * wrote it (a timeout, a leader killed after the append): its next batch then reuses them, the
 * broker answers it as a duplicate of the written one with that one's offsets, and its records are
 * acknowledged without being written (docs/findings-kafka-cluster.md). A new producer id starts
 * its sequences afresh; the old producer is disconnected in the background.
 */
export class KafkaProducer implements Producer {
  private readonly connection: KafkaConnection;
  private session: Session;
  private readonly queue: Pending[] = [];
  private flushing = false;
  private closed = false;
  private readonly partitionOf: (key: string | undefined) => number;

  constructor(private readonly options: KafkaProducerOptions) {
    this.connection = new KafkaConnection(options.connection);
    this.session = this.newSession();
    this.partitionOf = partitionerFor(options.topic, options.partitions);
  }

  private newSession(): Session {
    const fireAndForget = this.options.acks === 0;
    const idempotent = this.options.idempotent ?? this.options.acks === -1;
    const producer = this.connection.kafka.producer({
      idempotent,
      maxInFlightRequests: fireAndForget ? undefined : 1,
      allowAutoTopicCreation: false,
      // Without idempotence a retry after a lost answer writes the record again: no retries
      // (kafkajs still refreshes its metadata after a failed send, so the next one finds the leader).
      ...(!idempotent && { retry: { retries: 0 } }),
    });
    return { producer, connected: undefined };
  }

  /** The next batch gets a new producer (see the class comment); the old one goes away quietly. */
  private retire(session: Session): void {
    if (this.session !== session || this.closed) return;
    this.session = this.newSession();
    void session.producer.disconnect().catch(() => {});
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

  private connect(session: Session): Promise<void> {
    session.connected ??= session.producer.connect().catch((error: unknown) => {
      session.connected = undefined;
      throw error;
    });
    return session.connected;
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    const session = this.session;
    const outcomes = await this.attempt(session, batch);
    if (outcomes.some((o) => o.status !== 'ok') && this.options.acks !== 0) this.retire(session);
    for (const [k, p] of batch.entries()) p.done(outcomes[k]!);
  }

  /** One produce request for the batch through `session`: an outcome per message. */
  private async attempt(session: Session, batch: Pending[]): Promise<SendOutcome[]> {
    const { sendTimeoutMs, topic, acks } = this.options;
    const all = (outcome: SendOutcome) => batch.map(() => outcome);
    const started = Date.now();
    try {
      const connected = await within(this.connect(session), sendTimeoutMs);
      if (!connected.done)
        return all({ status: 'fail', error: `not connected within ${sendTimeoutMs} ms: nothing was sent` });
    } catch (error) {
      return all({ status: 'fail', error: `cannot connect, nothing was sent: ${describeError(error)}` });
    }
    const sending = session.producer.send({
      topic,
      acks,
      messages: batch.map((p) => toRecord(p.message, p.partition)),
    });
    try {
      const result = await within(sending, Math.max(1, sendTimeoutMs - (Date.now() - started)));
      if (!result.done)
        return all({ status: 'info', error: `no acknowledgement within ${sendTimeoutMs} ms` });
      if (acks === 0)
        return all({ status: 'info', error: 'acks=0: the broker confirms nothing', final: true });
      return settle(batch, result.value);
    } catch (error) {
      return all(classify(error, 'produce'));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.session.producer.disconnect().catch(() => {});
  }
}

/** Each message's offset: its partition's base offset plus its place among that partition's records. */
function settle(batch: Pending[], metadata: RecordMetadata[]): SendOutcome[] {
  const next = new Map<number, number>();
  for (const m of metadata) {
    if (m.baseOffset !== undefined && m.errorCode === 0) next.set(m.partition, Number(m.baseOffset));
  }
  return batch.map((p): SendOutcome => {
    const offset = next.get(p.partition);
    if (offset === undefined)
      return { status: 'info', error: `no offset for partition ${p.partition} in the broker's answer` };
    next.set(p.partition, offset + 1);
    return { status: 'ok', partition: p.partition, offset };
  });
}
