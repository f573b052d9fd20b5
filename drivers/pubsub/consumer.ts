import type { Duration, Message, Subscription } from '@google-cloud/pubsub';
import { describeError } from '../../core/errors.ts';
import type { AckOutcome, Consumer, Delivery, DeliveryHandler } from '../driver.ts';
import { newClient, type PubSubClient, pubsubModule, streamingPullOptions } from './client.ts';
import type { PubsubDescriptor } from './descriptor.ts';
import { readAttributes } from './messages.ts';
import { ackFailure, acknowledged } from './outcomes.ts';

export interface PubsubConsumerTarget {
  name: string;
  subscription: string;
  /** `dest` of its deliveries (the topic; the dead-letter topic for a DLQ reader). */
  dest: string;
  /** Reads a dead-letter subscription: deliveries carry the source's delivery count. */
  deadLetterReader: boolean;
}

interface StreamLike {
  setStreamAckDeadline?(deadline: Duration): void;
}

/** A stream that ended on an error the client does not retry is opened again after this long. */
const REOPEN_MS = 1000;
/** How long a clean close waits for its nacks to be sent. */
const CLOSE_SECONDS = 5;

/**
 * One streaming-pull subscriber with a client (gRPC channel) of its own. Every message is handed to
 * the handler as it arrives (`allowExcessMessages`; the server is asked for at most
 * `flowControlMessages` at a time), except that with ordering keys a key's messages are handed over
 * one after the other. Leases: the client modAcks each message to the ack deadline on arrival and
 * extends it while the handler holds it, for at most `maxExtensionSeconds`; min = max ack deadline
 * keeps the library from stretching the deadline (up to 600 s) from its latency histogram.
 *
 * `crash` is a process dying: the stream is torn down with a zero close timeout (nothing held is
 * nacked, leases stop being extended) and the channel closed, so the server redelivers what it held
 * once the ack deadline passes. `close` is a clean stop: the library nacks what it still holds.
 */
export class PubsubConsumer implements Consumer {
  private state: 'new' | 'running' | 'crashed' | 'closed' = 'new';
  private client: PubSubClient | undefined;
  private subscription: Subscription | undefined;
  private readonly closeOptions: { timeout?: Duration } = {};
  private zero: Duration | undefined;
  private deadline: Duration | undefined;
  private streamDeadlineKept = false;
  /** Per ordering key: the last handler in line. */
  private readonly tails = new Map<string, Promise<void>>();
  /** Per ordering key: arrivals up to this number were superseded by a nack of the key. */
  private readonly nackedThrough = new Map<string, number>();
  private arrivals = 0;

  constructor(
    private readonly descriptor: PubsubDescriptor,
    private readonly target: PubsubConsumerTarget,
    private readonly log: (message: string) => void,
  ) {}

  private get ordered(): boolean {
    return this.descriptor.setup.ordering === true && !this.target.deadLetterReader;
  }

  private get exactlyOnce(): boolean {
    return this.descriptor.setup.exactlyOnce === true && !this.target.deadLetterReader;
  }

  async start(handler: DeliveryHandler): Promise<void> {
    if (this.state !== 'new') throw new Error(`consumer ${this.target.name} was already started`);
    this.state = 'running';
    const d = this.descriptor;
    const { Duration: D } = await pubsubModule();
    const client = await newClient(d, 'consumers');
    if (this.state !== 'running') {
      await client.close().catch(() => {});
      return;
    }
    this.client = client;
    this.zero = D.from({ seconds: 0 });
    this.closeOptions.timeout = D.from({ seconds: CLOSE_SECONDS });
    const pull = streamingPullOptions(D, d);
    this.deadline = pull.minAckDeadline;
    const subscription = client.subscription(this.target.subscription, {
      ...pull,
      batching: { maxMessages: 100, maxMilliseconds: 10 },
      closeOptions: this.closeOptions,
    });
    this.subscription = subscription;
    subscription.on('message', (m: Message) => this.arrive(m, handler));
    subscription.on('error', (error: unknown) => {
      if (this.state !== 'running') return;
      this.log(`${this.target.name}: streaming pull failed: ${describeError(error)}`);
      setTimeout(() => {
        if (this.state === 'running' && !subscription.isOpen) subscription.open();
      }, REOPEN_MS).unref();
    });
  }

  private arrive(m: Message, handler: DeliveryHandler): void {
    // A dead consumer's late arrivals are dropped, as a killed process would drop them.
    if (this.state !== 'running') return;
    if (this.exactlyOnce && !this.streamDeadlineKept) this.keepStreamDeadline();
    const n = ++this.arrivals;
    const key = m.orderingKey;
    if (!this.ordered || !key) {
      void this.handle(m, handler);
      return;
    }
    const next = (this.tails.get(key) ?? Promise.resolve()).then(() => {
      if (this.state !== 'running') return;
      // A nack of the key brings its later messages again: these copies are released unseen.
      if (n <= (this.nackedThrough.get(key) ?? 0)) {
        m.nack();
        return;
      }
      return this.handle(m, handler, key);
    });
    this.tails.set(key, next);
    void next.finally(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
  }

  /**
   * On seeing an exactly-once subscription the library raises its stream ack deadline to 60 s, so
   * what the server sends a consumer that dies before the library's receipt modAck would come back
   * only a minute later — past any drain. Set it back to the configured deadline (through the
   * library's internal stream: there is no public option; without it, this is logged and skipped).
   */
  private keepStreamDeadline(): void {
    this.streamDeadlineKept = true;
    const stream = (this.subscription as unknown as { _subscriber?: { _stream?: StreamLike } } | undefined)
      ?._subscriber?._stream;
    if (typeof stream?.setStreamAckDeadline !== 'function' || !this.deadline) {
      this.log(`${this.target.name}: cannot keep the stream ack deadline (library internals changed)`);
      return;
    }
    stream.setStreamAckDeadline(this.deadline);
  }

  private async handle(m: Message, handler: DeliveryHandler, key?: string): Promise<void> {
    try {
      await handler(this.toDelivery(m, key));
    } catch (error) {
      this.log(`${this.target.name}: handler failed: ${describeError(error)}`);
    }
  }

  private toDelivery(m: Message, key: string | undefined): Delivery {
    const fields = readAttributes(m.attributes);
    // Pub/Sub counts delivery attempts only on subscriptions with a dead-letter policy (else 0).
    const attempt = m.deliveryAttempt > 0 ? m.deliveryAttempt : undefined;
    const reader = this.target.deadLetterReader;
    return {
      id: fields.id,
      dest: this.target.dest,
      key: fields.key,
      poison: fields.poison,
      offset: m.id,
      redelivered: attempt === undefined || reader ? undefined : attempt > 1,
      deliveryCount: reader ? undefined : attempt,
      payload: m.data,
      deadLetter: reader
        ? { deliveryCount: fields.deadLetterCount, reason: 'max delivery attempts' }
        : undefined,
      ack: () => this.settle(m, 'ack'),
      // Pub/Sub cannot drop a message on a nack: it comes back (after the retry policy's backoff
      // where there is one; `delayMs` is not Pub/Sub's to take) or, past max attempts, is dead-lettered.
      nack: async () => {
        if (key !== undefined) this.nackedThrough.set(key, this.arrivals);
        return this.settle(m, 'nack');
      },
    };
  }

  private async settle(m: Message, what: 'ack' | 'nack'): Promise<AckOutcome> {
    if (this.state !== 'running')
      return { status: 'fail', error: `the consumer is ${this.state}: nothing was sent` };
    try {
      await (what === 'ack' ? m.ackWithResponse() : m.nackWithResponse());
      // A nack recorded is the handler giving up; whether the server saw it, only exactly-once says.
      return what === 'nack' ? { status: 'ok' } : acknowledged(this.exactlyOnce, what);
    } catch (error) {
      return ackFailure(error);
    }
  }

  async crash(): Promise<void> {
    if (this.state === 'crashed' || this.state === 'closed') return;
    this.state = 'crashed';
    // A zero close timeout: the library drops what it holds without nacking it.
    this.closeOptions.timeout = this.zero;
    const { subscription, client } = this;
    this.subscription = undefined;
    this.client = undefined;
    await subscription?.close().catch(() => {});
    await client?.close().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.state === 'crashed' || this.state === 'closed') return;
    this.state = 'closed';
    const { subscription, client } = this;
    this.subscription = undefined;
    this.client = undefined;
    await subscription?.close().catch(() => {});
    await client?.close().catch(() => {});
  }
}
