import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { sleep } from '../../core/clock.ts';
import { describeError } from '../../core/errors.ts';
import type { AckOutcome, Consumer, Delivery, DeliveryHandler } from '../driver.ts';
import { deadline, errorName, outcomeOf, type SqsConnection, sqsClient } from './aws.ts';
import { DEFAULT_MESSAGE_GROUP, decodeBody, readMessage } from './messages.ts';

export interface SqsConsumerOptions {
  name: string;
  queueUrl: string;
  /** `dest` of its deliveries (the topic or work queue name; the dead-letter queue's own name). */
  dest: string;
  fifo: boolean;
  /** Reads a dead-letter queue: deliveries carry what SQS says about the original. */
  deadLetterReader: boolean;
  /** The queue has a RedrivePolicy (nack without requeue then leaves the message to it). */
  redrive: boolean;
  visibilityTimeoutSeconds: number;
  waitTimeSeconds: number;
  receiveBatchSize: number;
  /**
   * Receive the next batch only once every message of this one is settled, so the consumer never
   * holds a message it has not handed to the application (dead-letter setups: a crash must not burn
   * receives of messages nobody saw). Otherwise receives run ahead up to `maxInFlight` messages.
   */
  sequential: boolean;
  maxInFlight: number;
  log: (message: string) => void;
}

const ok: AckOutcome = { status: 'ok' };
/** A delete that lands this close to the end of the visibility timeout may have lost the race. */
const STALE_MARGIN_MS = 500;
const ACK_BATCH = 10;
/** Receives one consumer keeps under way at most (each a long poll while the queue is empty). */
const MAX_RECEIVES = 5;

interface PendingAck {
  receiptHandle: string;
  receivedAt: number;
  done: (outcome: AckOutcome) => void;
}

/**
 * Long-polls a queue, hands messages to the handler, deletes acknowledged ones in batches and
 * backs failed ones off with ChangeMessageVisibility. On a FIFO queue the messages of one group are
 * handed over one after the other (groups in parallel); once one is given back, the rest of its
 * group in that batch is released unhandled, so nothing overtakes it.
 *
 * `crash` is a process dying: polling stops, in-flight requests are cut, nothing more is deleted —
 * every message it held comes back after its visibility timeout, as SQS promises.
 */
export class SqsConsumer implements Consumer {
  private state: 'new' | 'running' | 'crashed' | 'closed' = 'new';
  private readonly client: SQSClient;
  private readonly life = new AbortController();
  private loop: Promise<void> | undefined;
  /** Messages handed to the handler and not yet settled. */
  private inFlight = 0;
  /** Messages asked for by receives under way. */
  private asked = 0;
  private wakePoll: (() => void) | undefined;
  private backoffMs = 100;
  /** The last receive came back full: more are waiting, so receives may run in parallel. */
  private backlogged = false;
  private acks: PendingAck[] = [];
  private ackScheduled = false;
  private readonly ackRequests = new Set<Promise<void>>();
  private lastError = '';

  constructor(
    private readonly connection: SqsConnection,
    private readonly options: SqsConsumerOptions,
  ) {
    this.client = sqsClient(connection);
  }

  async start(handler: DeliveryHandler): Promise<void> {
    if (this.state !== 'new') throw new Error(`consumer ${this.options.name} was already started`);
    this.state = 'running';
    this.loop = this.poll(handler);
  }

  private get running(): boolean {
    return this.state === 'running';
  }

  /**
   * Keeps receives under way while there is room: up to `maxInFlight` messages held or asked for,
   * in up to `maxInFlight / receiveBatchSize` receives at once (at most MAX_RECEIVES) while they
   * come back full; sequential: one, and the next only once its messages are settled. A broker that
   * serves requests in arrival order (ElasticMQ) gives a consumer a share of its time by the
   * requests it has waiting, so one receive at a time starves behind busy producers.
   */
  private async poll(handler: DeliveryHandler): Promise<void> {
    const { options } = this;
    const maxReceives = options.sequential
      ? 1
      : Math.min(MAX_RECEIVES, Math.max(1, Math.floor(options.maxInFlight / options.receiveBatchSize)));
    const receives = new Set<Promise<void>>();
    while (this.running) {
      const room = options.maxInFlight - this.inFlight - this.asked;
      // A second receive only while the last came back full (a backlog): with few messages queued,
      // parallel long polls would split them into batches of one.
      const wanted = receives.size === 0 || (this.backlogged && receives.size < maxReceives);
      if (room <= 0 || !wanted) {
        await new Promise<void>((resolve) => {
          this.wakePoll = resolve;
        });
        continue;
      }
      const receive = this.receive(Math.min(options.receiveBatchSize, room), handler);
      if (options.sequential) {
        await receive;
        continue;
      }
      const tracked = receive
        .catch((error) => options.log(`${options.name}: receive failed: ${describeError(error)}`))
        .finally(() => {
          receives.delete(tracked);
          this.wake();
        });
      receives.add(tracked);
    }
    await Promise.allSettled([...receives]);
  }

  /** One ReceiveMessage of up to `count` messages, handed to the handler; backs off after a failure. */
  private async receive(count: number, handler: DeliveryHandler): Promise<void> {
    const { options } = this;
    this.asked += count;
    let messages: Message[];
    try {
      const answer = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: count,
          WaitTimeSeconds: options.waitTimeSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: options.fifo
            ? ['ApproximateReceiveCount', 'MessageGroupId', 'SequenceNumber']
            : ['ApproximateReceiveCount'],
        }),
        { abortSignal: this.life.signal },
      );
      messages = answer.Messages ?? [];
      this.backlogged = messages.length === count;
      this.backoffMs = 100;
    } catch (error) {
      this.asked -= count;
      this.backlogged = false;
      if (!this.running) return;
      const text = `${errorName(error)}: ${describeError(error)}`;
      if (text !== this.lastError) options.log(`${options.name}: ReceiveMessage failed (${text}), retrying`);
      this.lastError = text;
      const backoffMs = this.backoffMs;
      this.backoffMs = Math.min(backoffMs * 2, 2000);
      await sleep(backoffMs, this.life.signal);
      return;
    }
    this.asked -= count;
    // A consumer that died while its receive was under way never sees those messages: they come
    // back after the visibility timeout.
    if (!this.running || messages.length === 0) return;
    const handled = this.dispatch(messages, Date.now(), handler);
    if (options.sequential) await handled;
  }

  private wake(): void {
    const wake = this.wakePoll;
    this.wakePoll = undefined;
    wake?.();
  }

  private dispatch(messages: Message[], receivedAt: number, handler: DeliveryHandler): Promise<unknown> {
    this.inFlight += messages.length;
    const settle = () => {
      this.inFlight--;
      this.wake();
    };
    if (!this.options.fifo) {
      return Promise.all(
        messages.map((m, index) =>
          this.handleOne(m, receivedAt, handler, { index, size: messages.length }).finally(settle),
        ),
      );
    }
    // FIFO: one chain per message group, in the order SQS returned them.
    const groups = new Map<string, Message[]>();
    for (const m of messages) {
      const group = m.Attributes?.MessageGroupId ?? DEFAULT_MESSAGE_GROUP;
      const list = groups.get(group);
      if (list) list.push(m);
      else groups.set(group, [m]);
    }
    return Promise.all(
      [...groups.values()].map(async (list) => {
        let givenBack = false;
        for (const m of list) {
          try {
            if (!this.running) continue; // died: the rest is abandoned, as a dead process would
            if (givenBack) {
              // An earlier message of this group was given back: hand this one back too, unhandled.
              await this.changeVisibility(m.ReceiptHandle, 0);
              continue;
            }
            givenBack =
              (await this.handleOne(m, receivedAt, handler, {
                index: messages.indexOf(m),
                size: messages.length,
              })) === 'nacked';
          } finally {
            settle();
          }
        }
      }),
    );
  }

  private async handleOne(
    m: Message,
    receivedAt: number,
    handler: DeliveryHandler,
    batch: Delivery['batch'],
  ): Promise<'nacked' | 'done'> {
    let nacked = false;
    const delivery = this.delivery(m, receivedAt, batch, () => {
      nacked = true;
    });
    try {
      await handler(delivery);
    } catch (error) {
      this.options.log(`${this.options.name}: handler failed: ${describeError(error)}`);
    }
    return nacked ? 'nacked' : 'done';
  }

  private delivery(m: Message, receivedAt: number, batch: Delivery['batch'], onNack: () => void): Delivery {
    const read = readMessage(m);
    const { options } = this;
    const receiptHandle = m.ReceiptHandle ?? '';
    const count = read.receiveCount;
    return {
      id: read.id,
      dest: options.dest,
      key: read.key,
      poison: read.poison,
      offset: read.sequenceNumber,
      redelivered: count !== undefined ? count > 1 : undefined,
      deliveryCount: options.deadLetterReader ? undefined : count,
      payload: decodeBody(m.Body),
      batch,
      deadLetter: options.deadLetterReader
        ? {
            // The receive count travels with the message into the DLQ; this receive adds one.
            deliveryCount: count !== undefined && count > 1 ? count - 1 : undefined,
            reason: 'maxReceiveCount exceeded',
          }
        : undefined,
      ack: () => this.ack(receiptHandle, receivedAt),
      nack: async ({ requeue, delayMs }) => {
        onNack();
        if (!requeue) {
          // SQS has no reject. With a RedrivePolicy, the message is left invisible until its timeout
          // runs out and redrive dead-letters it after maxReceiveCount receives; without one, it is
          // dropped, as a broker with no dead-letter target drops a rejected message.
          if (options.redrive) return ok;
          return this.deleteOne(receiptHandle, receivedAt);
        }
        // Backoff: the message becomes visible again after the delay, rounded up to whole seconds.
        return this.changeVisibility(receiptHandle, Math.ceil(Math.max(0, delayMs ?? 0) / 1000));
      },
    };
  }

  private async changeVisibility(receiptHandle: string | undefined, seconds: number): Promise<AckOutcome> {
    if (!this.running)
      return { status: 'fail', error: 'consumer stopped: the message returns after its visibility timeout' };
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.options.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.min(43_200, seconds),
        }),
        { abortSignal: deadline(this.connection, this.life.signal) },
      );
      return ok;
    } catch (error) {
      return outcomeOf(error, this.connection);
    }
  }

  private async deleteOne(receiptHandle: string, receivedAt: number): Promise<AckOutcome> {
    if (!this.running)
      return { status: 'fail', error: 'consumer stopped: the message returns after its visibility timeout' };
    try {
      await this.client.send(
        new DeleteMessageCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: receiptHandle }),
        {
          abortSignal: deadline(this.connection, this.life.signal),
        },
      );
      return this.deleted(receivedAt);
    } catch (error) {
      return outcomeOf(error, this.connection);
    }
  }

  /**
   * A successful DeleteMessage is `ok` only while the receipt handle was current by our clock (the
   * receive's answer plus the visibility timeout, less a margin): AWS answers success to a stale
   * handle (one whose visibility timeout ran out) yet may keep the message.
   */
  private deleted(receivedAt: number): AckOutcome {
    const age = Date.now() - receivedAt;
    if (age < this.options.visibilityTimeoutSeconds * 1000 - STALE_MARGIN_MS) return ok;
    return {
      status: 'info',
      error: `deleted ${age} ms after the receive, near or past the ${this.options.visibilityTimeoutSeconds} s visibility timeout: the receipt handle may be stale and the message not deleted`,
    };
  }

  /** Acknowledgements are deleted in batches of up to 10 (DeleteMessageBatch), each with its own outcome. */
  private ack(receiptHandle: string, receivedAt: number): Promise<AckOutcome> {
    if (!this.running) {
      return Promise.resolve({
        status: 'fail',
        error: 'consumer stopped: the message returns after its visibility timeout',
      });
    }
    return new Promise<AckOutcome>((done) => {
      this.acks.push({ receiptHandle, receivedAt, done });
      if (this.acks.length >= ACK_BATCH) this.flushAcks();
      else if (!this.ackScheduled) {
        this.ackScheduled = true;
        setImmediate(() => {
          this.ackScheduled = false;
          this.flushAcks();
        });
      }
    });
  }

  private flushAcks(): void {
    while (this.acks.length > 0) {
      const batch = this.acks.splice(0, ACK_BATCH);
      const request = this.deleteBatch(batch).finally(() => this.ackRequests.delete(request));
      this.ackRequests.add(request);
    }
  }

  private async deleteBatch(batch: PendingAck[]): Promise<void> {
    if (this.state === 'crashed') {
      // A dead process deletes nothing (and nobody records what its calls return).
      for (const entry of batch)
        entry.done({ status: 'fail', error: 'consumer crashed before the delete was sent' });
      return;
    }
    if (batch.length === 1) {
      const [only] = batch;
      only!.done(await this.deleteOne(only!.receiptHandle, only!.receivedAt));
      return;
    }
    try {
      const answer = await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: batch.map((a, k) => ({ Id: String(k), ReceiptHandle: a.receiptHandle })),
        }),
        { abortSignal: deadline(this.connection, this.life.signal) },
      );
      const settled = new Set<number>();
      for (const s of answer.Successful ?? []) {
        const entry = batch[Number(s.Id)];
        if (!entry || settled.has(Number(s.Id))) continue;
        settled.add(Number(s.Id));
        entry.done(this.deleted(entry.receivedAt));
      }
      for (const f of answer.Failed ?? []) {
        const entry = batch[Number(f.Id)];
        if (!entry || settled.has(Number(f.Id))) continue;
        settled.add(Number(f.Id));
        const error = `${f.Code ?? 'error'}: ${f.Message ?? 'not deleted'}`;
        entry.done(f.SenderFault ? { status: 'fail', error } : { status: 'info', error });
      }
      batch.forEach((entry, k) => {
        if (!settled.has(k))
          entry.done({ status: 'info', error: 'the batch response did not mention this entry' });
      });
    } catch (error) {
      const outcome = outcomeOf(error, this.connection);
      for (const entry of batch) entry.done(outcome);
    }
  }

  async crash(): Promise<void> {
    if (this.state === 'crashed' || this.state === 'closed') return;
    this.state = 'crashed';
    const unsent = this.acks;
    this.acks = [];
    for (const entry of unsent)
      entry.done({ status: 'fail', error: 'consumer crashed before the delete was sent' });
    this.life.abort(new Error('consumer crashed'));
    this.wake();
    this.client.destroy();
  }

  async close(): Promise<void> {
    if (this.state === 'crashed' || this.state === 'closed') return;
    this.flushAcks();
    await Promise.allSettled([...this.ackRequests]);
    this.state = 'closed';
    this.life.abort(new Error('consumer closed'));
    this.wake();
    await this.loop?.catch(() => {});
    this.client.destroy();
  }
}
