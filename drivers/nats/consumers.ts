import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { jetstream } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { describeError } from '../../core/errors.ts';
import type { AckOutcome, Consumer, Delivery, DeliveryHandler } from '../driver.ts';
import { readAckSubject } from './ack-subject.ts';
import { destroyConnection, openConnection } from './connection.ts';
import { type NatsDescriptor, serversFor } from './descriptor.ts';
import { deadLetterInfo, readHeaders } from './message-headers.ts';

/** How a pull consumer answers a message at its next write (a positive answer: a nak's delay in ms). */
const ACK = -1;
const TERM = -2;
const NAK = 0;

const ok: AckOutcome = { status: 'ok' };
const UNCONFIRMED: AckOutcome = {
  status: 'info',
  error: 'handed to the connection; a plain JetStream ack is not confirmed',
};
const GONE: AckOutcome = {
  status: 'fail',
  error: 'connection gone: nothing was acknowledged, the server redelivers after AckWait',
};
/** The answers that need no waiting, as promises made once (a promise per message costs the consume path). */
const OK_NOW = Promise.resolve(ok);
const UNCONFIRMED_NOW = Promise.resolve(UNCONFIRMED);
const GONE_NOW = Promise.resolve(GONE);

type ConsumerState = 'new' | 'running' | 'crashed' | 'closed';

/**
 * Shared life cycle: one connection per consumer (so a crash takes down exactly this consumer),
 * `crash` destroys the socket with reconnects switched off, `close` stops cleanly.
 */
abstract class NatsConsumer implements Consumer {
  protected nc: NatsConnection | undefined;
  protected state: ConsumerState = 'new';
  private loop: Promise<void> | undefined;

  constructor(
    protected readonly descriptor: NatsDescriptor,
    protected readonly name: string,
    protected readonly log: (message: string) => void,
  ) {}

  /** Subscribes on `nc` (resolves once the server has the subscription); `done` settles when receiving ends. */
  protected abstract receive(nc: NatsConnection, handler: DeliveryHandler): Promise<{ done: Promise<void> }>;
  /** Stops receiving cleanly. */
  protected abstract unsubscribe(): Promise<void>;

  async start(handler: DeliveryHandler): Promise<void> {
    this.state = 'running';
    const nc = await openConnection({
      servers: serversFor(this.descriptor, 'consumers'),
      timeoutMs: this.descriptor.connectTimeoutMs,
      name: `brokerproof ${this.name}`,
    });
    if (this.state !== 'running') {
      await nc.close().catch(() => {});
      return;
    }
    this.nc = nc;
    try {
      this.loop = (await this.receive(nc, handler)).done;
    } catch (error) {
      this.nc = undefined;
      await nc.close().catch(() => {});
      throw error;
    }
  }

  /** True while acknowledgements on `nc` can still reach the server. */
  protected live(nc: NatsConnection): boolean {
    return this.state === 'running' && this.nc === nc && !nc.isClosed();
  }

  protected readonly failed = (error: unknown) =>
    this.log(`${this.name}: handler failed: ${describeError(error)}`);

  /** Runs the handler without awaiting it; `done` (if any) when it has finished. */
  protected dispatch(handler: DeliveryHandler, delivery: Delivery, done?: () => void): void {
    const running = handler(delivery).catch(this.failed);
    if (done) void running.finally(done);
  }

  async crash(): Promise<void> {
    this.state = 'crashed';
    const nc = this.nc;
    this.nc = undefined;
    destroyConnection(nc);
  }

  async close(): Promise<void> {
    if (this.state === 'crashed' || this.state === 'closed') return;
    this.state = 'closed';
    const nc = this.nc;
    this.nc = undefined;
    await this.unsubscribe().catch(() => {});
    await nc?.close().catch(() => {});
    await this.loop;
  }
}

/**
 * A core NATS subscriber, in the group's queue group. Nothing to acknowledge (the server forgot the
 * message when it wrote it to the socket) and nothing to give back: a nack cannot requeue. Handlers
 * run up to `prefetch` at once; the rest wait in the client (core NATS has no flow control).
 */
export class CoreConsumer extends NatsConsumer {
  private subscription: Subscription | undefined;

  constructor(
    descriptor: NatsDescriptor,
    name: string,
    private readonly queue: string,
    log: (message: string) => void,
  ) {
    super(descriptor, name, log);
  }

  protected async receive(nc: NatsConnection, handler: DeliveryHandler) {
    const subscription = nc.subscribe(`${this.descriptor.subject}.>`, { queue: this.queue });
    this.subscription = subscription;
    // Core NATS delivers only to subscriptions the server already has: be there before load starts.
    await nc.flush();
    return { done: this.run(subscription, nc, handler) };
  }

  private async run(subscription: Subscription, nc: NatsConnection, handler: DeliveryHandler) {
    let free = Math.max(1, this.descriptor.setup.prefetch);
    const waiting: Array<() => void> = [];
    const release = () => {
      const next = waiting.shift();
      if (next) next();
      else free++;
    };
    try {
      for await (const m of subscription) {
        if (!this.live(nc)) break;
        if (free > 0) free--;
        else await new Promise<void>((resolve) => waiting.push(resolve));
        if (!this.live(nc)) break;
        this.dispatch(handler, this.toDelivery(m), release);
      }
    } catch (error) {
      if (this.state === 'running') this.log(`${this.name}: stopped receiving: ${describeError(error)}`);
    }
  }

  protected async unsubscribe(): Promise<void> {
    this.subscription?.unsubscribe();
  }

  private toDelivery(m: Msg): Delivery {
    const { id, key, poison } = readHeaders(m.headers);
    return {
      id,
      dest: this.descriptor.dest,
      key,
      poison,
      payload: m.data,
      ack: async () => ok,
      nack: async () => ({ status: 'fail', error: 'core NATS cannot redeliver a message' }),
    };
  }
}

export interface PullTarget {
  stream: string;
  consumer: string;
  /** `dest` recorded for its deliveries. */
  dest: string;
}

/**
 * A client of a durable pull consumer: `consume()` keeps `prefetch` messages requested, and each
 * message is handed to a handler (and so recorded) the moment it arrives — none waits unseen in a
 * client buffer, where a crash would burn a delivery attempt (MaxDeliver counts it) of a message the
 * application never saw. How many are unacknowledged at once is bounded by the server (MaxAckPending).
 *
 * `ack` is fire-and-forget (`info`: written, never confirmed) or, with double acks, `ackAck` (`ok`
 * once the server confirms; `info` without an answer); `nack` is `nak(delay)` (the server
 * redelivers after the delay) or `term()` without requeue. On a dead connection nothing can be
 * acknowledged: `fail`, the server redelivers after AckWait.
 */
export class JetStreamConsumer extends NatsConsumer {
  private messages: ConsumerMessages | undefined;
  /** Acks and naks written together once per turn of the event loop (one socket write, not one each). */
  /** Messages to answer at the next write, and how: ACK, TERM, or a nak's delay in ms (NAK: none). */
  private outgoing: JsMsg[] = [];
  private answers: number[] = [];
  private writing: NodeJS.Immediate | undefined;
  private readonly writeLater = () => this.writeOutgoing();

  constructor(
    descriptor: NatsDescriptor,
    name: string,
    private readonly target: PullTarget,
    private readonly deadLetter: boolean,
    log: (message: string) => void,
  ) {
    super(descriptor, name, log);
  }

  protected async receive(nc: NatsConnection, handler: DeliveryHandler) {
    const js = jetstream(nc, { timeout: this.descriptor.publishTimeoutMs });
    const consumer = await js.consumers.get(this.target.stream, this.target.consumer);
    const noop = () => {};
    const messages = await consumer.consume({
      max_messages: Math.max(1, this.descriptor.setup.prefetch),
      ...(this.descriptor.setup.pullExpiresMs !== undefined && {
        expires: this.descriptor.setup.pullExpiresMs,
      }),
      callback: (m) => {
        // A dead consumer's late arrivals are dropped, as a killed process would drop them.
        if (this.live(nc))
          this.dispatch(handler, new JetStreamDelivery(this, m, nc, this.target.dest, this.deadLetter));
      },
    });
    this.messages = messages;
    return { done: messages.closed().then(noop, noop) };
  }

  protected async unsubscribe(): Promise<void> {
    this.writeOutgoing();
    await this.messages?.close();
  }

  private later(m: JsMsg, answer: number): void {
    this.outgoing.push(m);
    this.answers.push(answer);
    this.writing ??= setImmediate(this.writeLater);
  }

  private writeOutgoing(): void {
    clearImmediate(this.writing);
    this.writing = undefined;
    const messages = this.outgoing;
    const answers = this.answers;
    this.outgoing = [];
    this.answers = [];
    // A crashed consumer sends nothing more: its connection is gone, and so are these.
    if (this.state === 'crashed') return;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const answer = answers[i]!;
      if (answer === ACK) m.ack();
      else if (answer === TERM) m.term();
      else m.nak(answer > 0 ? answer : undefined);
    }
  }

  /** A nack of `m`: redelivered after the delay (or at once), or never again (`term`). */
  nackMessage(
    m: JsMsg,
    nc: NatsConnection,
    requeue: boolean,
    delayMs: number | undefined,
  ): Promise<AckOutcome> {
    if (!this.live(nc)) return GONE_NOW;
    this.later(m, requeue ? (delayMs !== undefined && delayMs > 0 ? delayMs : NAK) : TERM);
    return OK_NOW;
  }

  /** An ack of `m`: confirmed by the server with double acks, else written with the next batch. */
  ackMessage(m: JsMsg, nc: NatsConnection): Promise<AckOutcome> {
    if (!this.live(nc)) return GONE_NOW;
    if (this.descriptor.setup.doubleAck && !this.deadLetter) return this.ackConfirmed(m);
    this.later(m, ACK);
    return UNCONFIRMED_NOW;
  }

  private async ackConfirmed(m: JsMsg): Promise<AckOutcome> {
    try {
      const confirmed = await m.ackAck({ timeout: this.descriptor.ackTimeoutMs });
      return confirmed ? ok : { status: 'fail', error: 'this delivery was already acknowledged' };
    } catch (error) {
      return { status: 'info', error: `ack not confirmed: ${describeError(error)}` };
    }
  }
}

/**
 * One message of a pull consumer, read once (headers, stream position). A class, not an object
 * literal with closures: made for every message, on the path the consume benchmark measures.
 */
class JetStreamDelivery implements Delivery {
  readonly id: string;
  readonly key: string | undefined;
  readonly poison: boolean;
  readonly offset: number;
  readonly redelivered: boolean;
  readonly deliveryCount: number | undefined;
  readonly payload: Uint8Array;
  readonly deadLetter: Delivery['deadLetter'];

  constructor(
    private readonly consumer: JetStreamConsumer,
    private readonly m: JsMsg,
    private readonly nc: NatsConnection,
    readonly dest: string,
    deadLetter: boolean,
  ) {
    const h = m.headers;
    // `reply` is on nats.js's message object but not in its JsMsg type; without it, ask nats.js.
    const reply = (m as JsMsg & { readonly reply?: string }).reply;
    const info = (reply !== undefined && readAckSubject(reply)) || m.info;
    const { id, key, poison } = readHeaders(h);
    this.id = id;
    this.key = key;
    this.poison = poison;
    this.offset = info.streamSequence;
    this.redelivered = info.deliveryCount > 1;
    this.deliveryCount = deadLetter ? undefined : info.deliveryCount;
    this.payload = m.data;
    this.deadLetter = deadLetter ? deadLetterInfo(h) : undefined;
  }

  ack(): Promise<AckOutcome> {
    return this.consumer.ackMessage(this.m, this.nc);
  }

  nack({ requeue, delayMs }: { requeue: boolean; delayMs?: number | undefined }): Promise<AckOutcome> {
    return this.consumer.nackMessage(this.m, this.nc, requeue, delayMs);
  }
}
