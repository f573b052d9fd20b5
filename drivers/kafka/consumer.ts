import type {
  EachBatchPayload,
  EachMessagePayload,
  Consumer as KafkaJsConsumer,
  KafkaMessage,
} from 'kafkajs';
import { sleep } from '../../core/clock.ts';
import { describeError } from '../../core/errors.ts';
import type { AckOutcome, Consumer, Delivery, DeliveryHandler, OutgoingMessage } from '../driver.ts';
import { classify, KafkaConnection, within } from './connection.ts';
import {
  type CommitFn,
  commitPast,
  KafkaPipelineDelivery,
  KafkaWorkDelivery,
  ok,
  RETRY_PAUSE_MS,
  type Step,
  type WorkRecord,
  type WorkRecordConsumer,
} from './delivery.ts';
import { connectionOptions, type KafkaDescriptor } from './descriptor.ts';
import { fromRecord, HEADER, headerNumber, headerText } from './messages.ts';
import { RecordOutputs } from './record-outputs.ts';
import type { KafkaSetupOptions } from './setups.ts';
import { PartitionTransactions } from './transactions.ts';

/** What a consumer reads: the work (with its retry topics), a dead-letter topic, or a pipeline's output. */
export type ConsumerRole = 'work' | 'dead-letter' | 'output';

export interface KafkaConsumerSpec {
  descriptor: KafkaDescriptor;
  name: string;
  /** The runner's subscriber group. */
  group: string;
  /** The Kafka consumer group. */
  groupId: string;
  topics: string[];
  role: ConsumerRole;
  log: (message: string) => void;
}

/** Fetch long-polls are short: kafkajs heartbeats between fetches, and the session timeout is small. */
const MAX_WAIT_MS = 200;

/** Thrown into kafkajs once this incarnation is dead, so it resolves nothing more. */
class Dead extends Error {
  constructor() {
    super('consumer incarnation is dead');
  }
}

/**
 * A kafkajs consumer-group member. Each record is handed over, and awaited, in partition order;
 * offsets are committed the way the setup says (after processing, on receipt, by kafkajs'
 * auto-commit, or inside a transaction). A record is marked consumed (`resolveOffset`) only after
 * it was handled; a record to be read again (a nack, a failed commit) is left unresolved and its
 * partition paused for the backoff, so the next fetch returns it.
 *
 * `crash` kills every socket of the incarnation: no LeaveGroup, no EndTxn — the broker notices
 * through the session timeout, and a transaction left open is aborted when the partition's next
 * transactional producer fences it.
 */
export class KafkaConsumer implements Consumer, WorkRecordConsumer {
  private state: 'new' | 'running' | 'crashed' | 'closed' = 'new';
  private connection: KafkaConnection | undefined;
  private consumer: KafkaJsConsumer | undefined;
  private handler: DeliveryHandler | undefined;
  /** Incremented on every join of the group: a new generation may have moved partitions. */
  private generation = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly outputs: RecordOutputs;
  private readonly transactions: PartitionTransactions;
  /**
   * The highest offset this incarnation handed over, per topic and partition (Kafka itself counts
   * nothing): records come in offset order, so one at or below it was handed over before and is
   * read again. One number per partition, where a count per record grew with every message.
   */
  private readonly handedUpTo = new Map<string, number>();
  /** Settles when this incarnation crashes or closes: nothing it awaits keeps it busy after that. */
  private readonly ended: Promise<void>;
  private end!: () => void;

  constructor(private readonly spec: KafkaConsumerSpec) {
    this.outputs = new RecordOutputs(spec.descriptor, spec.group, (connection) => this.live(connection));
    this.transactions = new PartitionTransactions({
      name: spec.name,
      groupId: spec.groupId,
      transactionTimeoutMs: spec.descriptor.timeouts.transaction,
      log: spec.log,
      live: (connection) => this.live(connection),
      seek: (topic, partition, offset) => this.consumer?.seek({ topic, partition, offset }),
    });
    this.ended = new Promise<void>((resolve) => {
      this.end = resolve;
    });
  }

  /**
   * `promise`, unless this incarnation ends first: a killed process awaits nothing, whereas kafkajs
   * would retry a request on dead sockets for seconds.
   */
  unlessEnded<T>(promise: Promise<T>, ended: T): Promise<T> {
    promise.catch(() => {});
    return Promise.race([promise, this.ended.then(() => ended)]);
  }

  private get d(): KafkaDescriptor {
    return this.spec.descriptor;
  }

  async start(handler: DeliveryHandler): Promise<void> {
    this.handler = handler;
    this.state = 'running';
    await this.subscribe();
  }

  private live(connection: KafkaConnection): boolean {
    return this.state === 'running' && this.connection === connection && !connection.dead;
  }

  private async subscribe(): Promise<void> {
    const d = this.d;
    const connection = new KafkaConnection(
      connectionOptions(d, `brokerproof-${this.spec.name}`, 'consumers'),
    );
    this.connection = connection;
    const consumer = connection.kafka.consumer({
      groupId: this.spec.groupId,
      sessionTimeout: d.timeouts.session,
      heartbeatInterval: d.timeouts.heartbeat,
      rebalanceTimeout: d.timeouts.rebalance,
      maxWaitTimeInMs: MAX_WAIT_MS,
      ...(this.spec.role === 'work' &&
        d.setup.consumer?.isolationLevel === 'read_uncommitted' && { readUncommitted: true }),
      allowAutoTopicCreation: false,
      retry: {
        initialRetryTime: 100,
        maxRetryTime: 2000,
        retries: 8,
        restartOnFailure: async () => this.live(connection),
      },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.consumer === consumer) this.generation++;
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart && this.live(connection))
        void this.resubscribe(connection, event.payload.error);
    });
    const partitionsConsumedConcurrently = Math.max(1, Math.min(32, d.partitions * this.spec.topics.length));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: this.spec.topics, fromBeginning: true });
      if (this.spec.role === 'work' && d.setup.commit === 'auto') {
        // kafkajs as shipped: eachMessage, autoCommit on, no interval or threshold (commit per batch).
        await consumer.run({
          partitionsConsumedConcurrently,
          // A custom setup's interval and threshold (kafkajs default: neither, commit per batch).
          autoCommitInterval: d.setup.consumer?.autoCommitInterval ?? null,
          autoCommitThreshold: d.setup.consumer?.autoCommitThreshold ?? null,
          eachMessage: (p) => this.eachMessage(connection, p),
        });
      } else {
        // Readers let kafkajs commit every resolved offset (control records and aborted
        // transactions included, so their lag reaches 0); work consumers commit themselves.
        const reader = this.spec.role !== 'work';
        await consumer.run({
          partitionsConsumedConcurrently,
          autoCommit: reader,
          autoCommitThreshold: reader ? 1 : null,
          eachBatchAutoResolve: false,
          eachBatch: (p) => this.eachBatch(connection, p),
        });
      }
    } catch (error) {
      await consumer.disconnect().catch(() => {});
      throw new Error(`${this.spec.name} cannot join ${this.spec.groupId}: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  /** kafkajs gave up (a non-retriable error): a new consumer takes over, as a supervisor would start one. */
  private async resubscribe(old: KafkaConnection, error: unknown): Promise<void> {
    if (this.connection !== old) return;
    this.connection = undefined;
    this.spec.log(
      `${this.spec.name}: kafkajs consumer stopped (${describeError(error)}); starting a new one`,
    );
    let delay = 200;
    while (this.state === 'running') {
      await sleep(delay);
      if (this.state !== 'running') return;
      try {
        await this.subscribe();
        return;
      } catch (e) {
        this.spec.log(`${this.spec.name}: ${describeError(e)}; retrying`);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private async eachBatch(connection: KafkaConnection, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, pause, commitOffsetsIfNecessary } = payload;
    const generation = this.generation;
    for (const [index, message] of batch.messages.entries()) {
      if (!this.live(connection)) throw new Dead();
      if (!isRunning() || isStale()) return;
      // A retry record waits, partition paused, until its backoff is over.
      const due = headerNumber(message.headers, HEADER.due);
      if (due !== undefined && due > Date.now()) {
        this.pauseFor(pause, due - Date.now());
        return;
      }
      const step =
        this.spec.role === 'work'
          ? await this.work(
              connection,
              batch.topic,
              batch.partition,
              message,
              commitOffsetsIfNecessary,
              generation,
              { index, size: batch.messages.length },
            )
          : await this.read(batch.topic, batch.partition, message);
      if (!this.live(connection)) throw new Dead();
      if (step.redeliverAfterMs !== undefined) {
        this.pauseFor(pause, step.redeliverAfterMs);
        return;
      }
      resolveOffset(message.offset);
      await heartbeat();
    }
  }

  /** The auto-commit setup: kafkajs resolves the offset once this returns and commits it later. */
  private async eachMessage(connection: KafkaConnection, payload: EachMessagePayload): Promise<void> {
    if (!this.live(connection)) throw new Dead();
    const step = await this.work(
      connection,
      payload.topic,
      payload.partition,
      payload.message,
      undefined,
      this.generation,
    );
    if (!this.live(connection)) throw new Dead();
    if (step.redeliverAfterMs !== undefined) {
      // The kafkajs way to be given a message again: throw, and it is fetched again from its offset.
      await sleep(step.redeliverAfterMs);
      throw new Error('redelivery requested (nack)');
    }
  }

  private pauseFor(pause: () => () => void, ms: number): void {
    if (ms <= 0) return;
    const resume = pause();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      resume();
    }, ms);
    this.timers.add(timer);
  }

  /** Hands a work record to the application; its ack, nack or forward come back through this consumer. */
  private async work(
    connection: KafkaConnection,
    topic: string,
    partition: number,
    message: KafkaMessage,
    commitFn: CommitFn | undefined,
    generation: number,
    batch?: Delivery['batch'],
  ): Promise<Step> {
    const d = this.d;
    const setup = d.setup;
    const offset = Number(message.offset);
    const record: WorkRecord = { connection, topic, partition, message, commitFn, batch, again: false };

    if (setup.commit === 'transactional' && d.output) {
      const ready = await this.unlessEnded(
        this.transactions.prepare(connection, topic, partition, offset, generation),
        'failed' as const,
      );
      if (ready === 'stale') return { redeliverAfterMs: 0 };
      if (ready === 'failed') return { redeliverAfterMs: RETRY_PAUSE_MS };
    }
    if (setup.commit === 'on-delivery') {
      // At most once: the offset moves past the record before anyone sees it. If that commit did not
      // certainly happen, the record is not handed over (it is read again, and committed first again).
      const committed = await this.unlessEnded(commitPast(this, record), {
        status: 'info',
        error: 'consumer ended',
      });
      if (committed.status !== 'ok') return { redeliverAfterMs: RETRY_PAUSE_MS };
    }
    const partitionKey = `${topic}/${partition}`;
    const handed = this.handedUpTo.get(partitionKey);
    record.again = handed !== undefined && offset <= handed;
    if (!record.again) this.handedUpTo.set(partitionKey, offset);
    const delivery = d.output ? new KafkaPipelineDelivery(this, record) : new KafkaWorkDelivery(this, record);
    await this.handler?.(delivery);
    return delivery.step;
  }

  /** The setup, for this consumer's deliveries. */
  get setup(): KafkaSetupOptions {
    return this.d.setup;
  }

  /** The work topic as the history names it, for this consumer's deliveries. */
  get dest(): string {
    return this.d.dest;
  }

  /** A delivery's forward: in the input's transaction, or produced and then committed. */
  forward(
    delivery: KafkaWorkDelivery,
    out: OutgoingMessage,
    hooks: { beforeCommit?: () => Promise<void> } | undefined,
  ): Promise<AckOutcome> {
    const output = this.d.output?.topic;
    if (output === undefined)
      return Promise.resolve({ status: 'fail', error: 'this setup has no output topic' });
    const { connection, topic, partition, message } = delivery.record;
    return this.d.setup.commit === 'transactional'
      ? this.transactions.forward(
          connection,
          { topic, partition, offset: Number(message.offset) },
          out,
          output,
          hooks,
          (ms) => delivery.redeliver(ms),
        )
      : this.outputs.forwardThenCommit(delivery, out, output, hooks);
  }

  /** A dead-letter or output record: recorded by the reader; kafkajs commits it once resolved. */
  private async read(topic: string, partition: number, message: KafkaMessage): Promise<Step> {
    const deadLetter = this.spec.role === 'dead-letter';
    await this.handler?.({
      ...fromRecord(message),
      dest: topic,
      partition,
      offset: Number(message.offset),
      deadLetter: deadLetter
        ? {
            deliveryCount: headerNumber(message.headers, HEADER.attempt),
            reason: headerText(message.headers, HEADER.reason),
          }
        : undefined,
      ack: async () => ok,
      nack: async () => ok,
    });
    return {};
  }

  /** One offset commit of this generation (no kafkajs retry across a rebalance). */
  async commitOffset(
    commitFn: CommitFn,
    topic: string,
    partition: number,
    offset: string,
  ): Promise<AckOutcome> {
    try {
      const done = await within(
        commitFn({ topics: [{ topic, partitions: [{ partition, offset }] }] }),
        this.d.timeouts.request,
      );
      return done.done
        ? ok
        : { status: 'info', error: `no answer to the offset commit within ${this.d.timeouts.request} ms` };
    } catch (error) {
      return classify(error, 'offset commit');
    }
  }

  /** A failed record to its retry topic (with its backoff) or dead-letter topic, then committed. */
  retryLater(delivery: KafkaWorkDelivery, requeue: boolean, delayMs: number): Promise<AckOutcome> {
    return this.outputs.retryLater(delivery, requeue, delayMs);
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  async crash(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'crashed';
    this.stopTimers();
    this.end();
    if (!wasRunning) return;
    // Synchronously, before anything else runs: every socket of this incarnation goes away.
    this.connection?.kill();
    // kafkajs' loops would notice on their own; stop them now (no request can reach the broker).
    void this.consumer?.disconnect().catch(() => {});
    void this.outputs.disconnect();
    void this.transactions.disconnect();
  }

  async close(): Promise<void> {
    if (this.state === 'crashed' || this.state === 'closed') return;
    this.state = 'closed';
    this.stopTimers();
    this.end();
    await this.consumer?.disconnect().catch(() => {}); // leaves the group
    await this.outputs.disconnect();
    await this.transactions.disconnect();
  }
}
