import type { KafkaMessage, Offsets } from 'kafkajs';
import type { AckOutcome, Delivery, OutgoingMessage } from '../driver.ts';
import type { KafkaConnection } from './connection.ts';
import { fromRecord, HEADER, headerNumber } from './messages.ts';
import type { KafkaSetupOptions } from './setups.ts';

export type CommitFn = (offsets: Offsets) => Promise<void>;

/** What the batch loop does after handing a record over: go on, or read it again (after a pause). */
export interface Step {
  redeliverAfterMs?: number;
}

export const ok: AckOutcome = { status: 'ok' };
/** Pause before reading a record again after a failed commit or produce. */
export const RETRY_PAUSE_MS = 50;

const gone: AckOutcome = { status: 'info', error: 'the consumer crashed or closed meanwhile' };
const noCommitFn: AckOutcome = { status: 'info', error: 'no commit function' };
const autoCommitted: AckOutcome = {
  status: 'info',
  error: 'kafkajs auto-commit commits this offset in the background, after the handler',
};

/** Where a work record came from and how to commit past it. */
export interface WorkRecord {
  connection: KafkaConnection;
  topic: string;
  /** The partition the record was read from. */
  partition: number;
  message: KafkaMessage;
  commitFn: CommitFn | undefined;
  batch: Delivery['batch'];
  /** The consumer handed this record over before (same partition, at or below what it handed). */
  again: boolean;
}

/** What a work delivery asks of its consumer: commits, retries, forwarding, all cut short by a crash. */
export interface WorkRecordConsumer {
  readonly setup: KafkaSetupOptions;
  /** The destination the history names (the work topic). */
  readonly dest: string;
  unlessEnded<T>(promise: Promise<T>, ended: T): Promise<T>;
  commitOffset(commitFn: CommitFn, topic: string, partition: number, offset: string): Promise<AckOutcome>;
  retryLater(delivery: KafkaWorkDelivery, requeue: boolean, delayMs: number): Promise<AckOutcome>;
  forward(
    delivery: KafkaWorkDelivery,
    out: OutgoingMessage,
    hooks: { beforeCommit?: () => Promise<void> } | undefined,
  ): Promise<AckOutcome>;
}

/** Commits past `record` (offset + 1), or says why it cannot. */
export function commitPast(consumer: WorkRecordConsumer, record: WorkRecord): Promise<AckOutcome> {
  return record.commitFn
    ? consumer.commitOffset(
        record.commitFn,
        record.topic,
        record.partition,
        String(Number(record.message.offset) + 1),
      )
    : Promise.resolve(noCommitFn);
}

/**
 * One work record handed to the application. A class, not an object literal with closures: one is
 * made for every record, on the path the consume benchmark measures, and under tsx every closure
 * also costs a `__name` call. `step` tells the batch loop whether to read the record again.
 */
export class KafkaWorkDelivery implements Delivery {
  readonly id: string;
  readonly key: string | undefined;
  readonly poison: boolean;
  readonly payload: Uint8Array;
  readonly dest: string;
  /** Where the message first was (a retry record carries its origin's partition and offset). */
  readonly partition: number;
  readonly offset: number;
  readonly redelivered: true | undefined;
  readonly batch: Delivery['batch'];
  readonly deliveryCount: number | undefined;
  /** The delivery number this record is for (1 unless it came from a retry topic). */
  readonly attempt: number;
  readonly step: Step = {};

  constructor(
    protected readonly consumer: WorkRecordConsumer,
    readonly record: WorkRecord,
  ) {
    const { message } = record;
    const body = fromRecord(message);
    this.id = body.id;
    this.key = body.key;
    this.poison = body.poison;
    this.payload = body.payload;
    this.dest = consumer.dest;
    this.attempt = headerNumber(message.headers, HEADER.attempt) ?? 1;
    this.partition = headerNumber(message.headers, HEADER.originPartition) ?? record.partition;
    this.offset = headerNumber(message.headers, HEADER.originOffset) ?? Number(message.offset);
    this.redelivered = this.attempt > 1 || record.again ? true : undefined;
    this.batch = record.batch;
    this.deliveryCount = consumer.setup.retryTopics ? this.attempt : undefined;
  }

  /** The message as the application sent it (what a retry or dead-letter record carries again). */
  body(): OutgoingMessage {
    return { id: this.id, key: this.key, poison: this.poison, payload: this.payload };
  }

  /** Read this record again after `ms` (the first request wins). */
  redeliver(ms: number): void {
    this.step.redeliverAfterMs ??= ms;
  }

  /** Commits past the record; after a failed commit the record is read again, after a pause. */
  async commit(): Promise<AckOutcome> {
    const outcome = await commitPast(this.consumer, this.record);
    if (outcome.status !== 'ok') this.redeliver(RETRY_PAUSE_MS);
    return outcome;
  }

  ack(): Promise<AckOutcome> {
    return this.consumer.unlessEnded(this.ackNow(), gone);
  }

  nack(options: { requeue: boolean; delayMs?: number | undefined }): Promise<AckOutcome> {
    return this.consumer.unlessEnded(this.nackNow(options.requeue, options.delayMs ?? 0), gone);
  }

  private ackNow(): Promise<AckOutcome> {
    const { commit } = this.consumer.setup;
    if (commit === 'on-delivery') return Promise.resolve(ok);
    if (commit === 'auto') return Promise.resolve(autoCommitted);
    return this.commit();
  }

  private nackNow(requeue: boolean, delayMs: number): Promise<AckOutcome> {
    const setup = this.consumer.setup;
    if (setup.commit === 'on-delivery') return Promise.resolve(ok); // committed already: the record is gone
    if (setup.retryTopics) return this.consumer.retryLater(this, requeue, delayMs);
    if (requeue || setup.commit === 'auto') {
      // No retry topics: read it again from the same offset once the backoff is over.
      this.redeliver(delayMs);
      return Promise.resolve(ok);
    }
    // A log cannot reject one record: skip past it.
    return this.commit();
  }
}

/** A record of a pipeline: the application forwards its output, which commits the input. */
export class KafkaPipelineDelivery extends KafkaWorkDelivery {
  forward(out: OutgoingMessage, hooks?: { beforeCommit?: () => Promise<void> }): Promise<AckOutcome> {
    return this.consumer.unlessEnded(this.consumer.forward(this, out, hooks), gone);
  }
}
