import type { Admin, Producer as KafkaJsProducer } from 'kafkajs';
import { describeError } from '../../core/errors.ts';
import type { AckOutcome, OutgoingMessage } from '../driver.ts';
import { classify, isFenced, type KafkaConnection } from './connection.ts';
import { ok, RETRY_PAUSE_MS } from './delivery.ts';
import { toRecord } from './messages.ts';

/** What the transactions need of the consumer that owns them. */
export interface TransactionsOwner {
  readonly name: string;
  /** The Kafka consumer group: its offsets go into each transaction. */
  readonly groupId: string;
  readonly transactionTimeoutMs: number;
  log(message: string): void;
  /** The connection still belongs to a running incarnation. */
  live(connection: KafkaConnection): boolean;
  /** Moves the group member's position (the committed offset is past the fetched one). */
  seek(topic: string, partition: number, offset: string): void;
}

/**
 * Consume-transform-produce, exactly once: a transactional producer per input partition, whose
 * transactional id is the partition's, so that whoever takes the partition over fences the one
 * before; each output record and its input offset are committed in one transaction.
 */
export class PartitionTransactions {
  /** Transactional producer per input partition, with the group generation it was fenced in for. */
  private readonly producers = new Map<string, { producer: KafkaJsProducer; generation: number }>();
  private admin: { connection: KafkaConnection; admin: Promise<Admin> } | undefined;

  constructor(private readonly owner: TransactionsOwner) {}

  /**
   * Before the first record of a partition in a generation: a new transactional producer for the
   * partition (initialising it fences whoever held the partition before and waits out the
   * transaction they may have left half-committed), then the group's committed offset is read
   * again — the position kafkajs fetched may predate that transaction. `stale` (after a seek to the
   * committed offset) or `failed` when the record must not be processed.
   */
  async prepare(
    connection: KafkaConnection,
    topic: string,
    partition: number,
    offset: number,
    generation: number,
  ): Promise<'ready' | 'stale' | 'failed'> {
    const key = `${topic}|${partition}`;
    const current = this.producers.get(key);
    if (current && current.generation === generation) return 'ready';
    this.drop(key);
    const producer = connection.kafka.producer({
      transactionalId: `${this.owner.groupId}|${topic}|${partition}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.owner.transactionTimeoutMs,
      allowAutoTopicCreation: false,
    });
    this.producers.set(key, { producer, generation: -1 });
    try {
      await producer.connect();
      const empty = await producer.transaction(); // InitProducerId: fences, completes the old transaction
      await empty.abort(); // nothing was added: no request
      const committed = await this.committedOffset(connection, topic, partition);
      if (committed !== undefined && committed > offset) {
        this.owner.seek(topic, partition, String(committed));
        return 'stale';
      }
      this.producers.set(key, { producer, generation });
      return 'ready';
    } catch (error) {
      if (this.owner.live(connection))
        this.owner.log(`${this.owner.name}: transactional producer for ${key}: ${describeError(error)}`);
      this.drop(key);
      return 'failed';
    }
  }

  /** The output record and the input offset (sendOffsets) in one transaction, then its commit. */
  async forward(
    connection: KafkaConnection,
    input: { topic: string; partition: number; offset: number },
    out: OutgoingMessage,
    output: string,
    hooks: { beforeCommit?: () => Promise<void> } | undefined,
    redeliver: (ms: number) => void,
  ): Promise<AckOutcome> {
    const { topic, partition, offset } = input;
    const key = `${topic}|${partition}`;
    const entry = this.producers.get(key);
    if (!entry) {
      redeliver(RETRY_PAUSE_MS);
      return { status: 'fail', error: 'no transactional producer for this partition' };
    }
    let transaction: Awaited<ReturnType<KafkaJsProducer['transaction']>>;
    try {
      transaction = await entry.producer.transaction();
    } catch (error) {
      this.drop(key);
      redeliver(RETRY_PAUSE_MS);
      return { status: 'fail', error: `cannot begin a transaction: ${describeError(error)}` };
    }
    // Before the commit is asked for, nothing can be committed: every failure is a definite abort.
    const abort = async (doing: string, error: unknown): Promise<AckOutcome> => {
      redeliver(RETRY_PAUSE_MS);
      let aborted = true;
      await transaction.abort().catch(() => {
        aborted = false;
      });
      if (!aborted || isFenced(error)) this.drop(key);
      return { status: 'fail', error: `${doing}: ${describeError(error)}; nothing was committed` };
    };
    try {
      await transaction.send({ topic: output, acks: -1, messages: [toRecord(out, partition)] });
    } catch (error) {
      return abort('producing the output', error);
    }
    await hooks?.beforeCommit?.();
    if (!this.owner.live(connection)) {
      return {
        status: 'info',
        error: 'crashed inside the transaction: it stays open until fenced or timed out',
      };
    }
    try {
      await transaction.sendOffsets({
        consumerGroupId: this.owner.groupId,
        topics: [{ topic, partitions: [{ partition, offset: String(offset + 1) }] }],
      });
    } catch (error) {
      return abort('adding the input offset to the transaction', error);
    }
    try {
      await transaction.commit();
      return ok;
    } catch (error) {
      this.drop(key);
      redeliver(RETRY_PAUSE_MS);
      return classify(error, 'committing the transaction');
    }
  }

  /** Disconnects every producer and the admin client (no EndTxn: an open transaction stays open). */
  disconnect(): Promise<unknown> {
    const producers = [...this.producers.values()].map((t) => t.producer.disconnect());
    const admin = this.admin?.admin.then((a) => a.disconnect());
    return Promise.allSettled([...producers, ...(admin ? [admin] : [])]);
  }

  private drop(key: string): void {
    const entry = this.producers.get(key);
    this.producers.delete(key);
    void entry?.producer.disconnect().catch(() => {});
  }

  private async committedOffset(
    connection: KafkaConnection,
    topic: string,
    partition: number,
  ): Promise<number | undefined> {
    if (this.admin?.connection !== connection) {
      const admin = connection.kafka.admin();
      this.admin = { connection, admin: admin.connect().then(() => admin) };
    }
    const admin = await this.admin.admin;
    const [entry] = await admin.fetchOffsets({ groupId: this.owner.groupId, topics: [topic] });
    const found = entry?.partitions.find((p) => p.partition === partition);
    const value = found ? Number(found.offset) : -1;
    return value >= 0 ? value : undefined;
  }
}
