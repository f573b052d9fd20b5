import {
  type ConsumerMessages,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JsMsg,
  jetstream,
} from '@nats-io/jetstream';
import {
  headers,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { describeError } from '../../core/errors.ts';
import { CaseClients } from '../case-clients.ts';
import type {
  AckOutcome,
  Consumer,
  ConsumerOptions,
  Delivery,
  DeliveryHandler,
  OutgoingMessage,
  Producer,
  SendOutcome,
} from '../driver.ts';
import { destroyConnection, openConnection, publishFailure, withTimeout } from './connection.ts';
import { type NatsDescriptor, serversFor, viaDescriptor } from './descriptor.ts';

export type { DeadLetterRef, NatsDescriptor } from './descriptor.ts';

export const HEADER_ID = 'bp-id';
export const HEADER_KEY = 'bp-key';
export const HEADER_POISON = 'bp-poison';
export const HEADER_DELIVERIES = 'bp-deliveries';
export const HEADER_REASON = 'bp-reason';

const ok: AckOutcome = { status: 'ok' };
const UNCONFIRMED: AckOutcome = {
  status: 'info',
  error: 'handed to the connection; a plain JetStream ack is not confirmed',
};
const GONE: AckOutcome = {
  status: 'fail',
  error: 'connection gone: nothing was acknowledged, the server redelivers after AckWait',
};

/** A message's id, key and poison flag, in one pass over its headers (each `get` scans them all). */
function readHeaders(h: MsgHdrs | undefined): { id: string; key: string | undefined; poison: boolean } {
  let id = '';
  let key: string | undefined;
  let poison = false;
  if (h) {
    for (const [name, values] of h) {
      if (name === HEADER_ID) id = values[0] ?? '';
      else if (name === HEADER_KEY) key = values[0] ?? '';
      else if (name === HEADER_POISON) poison = values[0] === '1';
    }
  }
  return { id, key, poison };
}

/** What the dead-letter mover wrote on a message it moved. */
function deadLetterInfo(h: MsgHdrs | undefined): Delivery['deadLetter'] {
  const deliveries = Number(h?.get(HEADER_DELIVERIES));
  return {
    deliveryCount: Number.isFinite(deliveries) && deliveries > 0 ? deliveries : undefined,
    reason: h?.get(HEADER_REASON) || undefined,
  };
}

/** A key as one subject token (no dots, wildcards or spaces). */
export function subjectToken(text: string | undefined): string {
  if (text === undefined) return '_';
  return text.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
}

/** The application headers every message carries: its id, key and poison flag. */
export function messageHeaders(message: OutgoingMessage): MsgHdrs {
  const h = headers();
  h.set(HEADER_ID, message.id);
  if (message.key !== undefined) h.set(HEADER_KEY, message.key);
  if (message.poison) h.set(HEADER_POISON, '1');
  return h;
}

/** Producers and consumers of one case, in whichever process they run. */
export class NatsClients extends CaseClients<NatsDescriptor> {
  async producer(name: string): Promise<Producer> {
    return this.track(new NatsProducer(this.descriptor, name));
  }

  async consumer(name: string, group: string, options: ConsumerOptions = {}): Promise<Consumer> {
    const d = viaDescriptor(this.descriptor, options.via);
    const target = d.consumers[group];
    if (target === undefined) throw new Error(`no consumer for group ${group}`);
    if (d.setup.kind === 'core') return this.track(new CoreConsumer(d, name, target, this.log));
    return this.track(
      new JetStreamConsumer(d, name, { stream: d.stream!, consumer: target, dest: d.dest }, false, this.log),
    );
  }

  async deadLetterConsumer(name: string, group: string): Promise<Consumer> {
    const dlq = this.descriptor.deadLetters[group];
    if (!dlq) throw new Error(`group ${group} has no dead-letter stream in this setup`);
    return this.track(
      new JetStreamConsumer(
        this.descriptor,
        name,
        { stream: dlq.stream, consumer: dlq.consumer, dest: dlq.stream },
        true,
        this.log,
      ),
    );
  }
}

/**
 * JetStream: a publish ack is `ok` (a duplicate within the window too: the stream holds it once),
 * a refusal `fail`, a timeout or lost connection `info`. Core NATS has no publish ack: a publish
 * counts as `ok` once a flush (PING/PONG round trip on the same connection) shows the server has
 * read it — and routed it to the subscribers it had at that moment, which is all core NATS ever
 * promises. A publish whose flush never comes back is `info`. A producer that cannot connect has
 * written nothing: `fail`.
 */
class NatsProducer implements Producer {
  private connection: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;
  /** The connection once open (sends skip awaiting the promise). */
  private opened: { nc: NatsConnection; js: JetStreamClient } | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly descriptor: NatsDescriptor,
    private readonly name: string,
  ) {}

  private connect() {
    this.connection ??= openConnection({
      servers: serversFor(this.descriptor, 'producers'),
      timeoutMs: this.descriptor.connectTimeoutMs,
      name: `brokerproof ${this.name}`,
    }).then((nc) => {
      this.opened = { nc, js: jetstream(nc, { timeout: this.descriptor.publishTimeoutMs }) };
      return this.opened;
    });
    const current = this.connection;
    return current.catch((error: unknown) => {
      if (this.connection === current) this.connection = undefined;
      throw error;
    });
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    let nc: NatsConnection;
    let js: JetStreamClient;
    if (this.opened) ({ nc, js } = this.opened);
    else {
      try {
        ({ nc, js } = await this.connect());
      } catch (error) {
        return { status: 'fail', error: describeError(error) };
      }
    }
    if (nc.isClosed()) {
      this.connection = undefined;
      this.opened = undefined;
      return { status: 'fail', error: 'the connection is closed' };
    }
    const d = this.descriptor;
    const subject = `${d.subject}.${subjectToken(message.key)}`;
    const h = messageHeaders(message);
    if (d.setup.kind === 'core') {
      try {
        nc.publish(subject, message.payload, { headers: h });
      } catch (error) {
        // Refused before anything was written (closed, draining, bad subject).
        return { status: 'fail', error: describeError(error) };
      }
      try {
        await this.flush(nc);
        return { status: 'ok' };
      } catch (error) {
        return { status: 'info', error: `not flushed: ${describeError(error)}` };
      }
    }
    try {
      const ack = await js.publish(subject, message.payload, {
        headers: h,
        timeout: d.publishTimeoutMs,
        ...(d.setup.dedupe && { msgID: message.id }),
        ...(message.expectPosition !== undefined && {
          expect: { lastSubjectSequence: message.expectPosition },
        }),
      });
      return { status: 'ok', offset: ack.seq };
    } catch (error) {
      // The subject moved on since the position was read: another writer appended first.
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence)
        return { status: 'fail', error: 'conflict' };
      return publishFailure(error);
    }
  }

  /** One PING for every publish made in the same turn of the event loop. */
  private flush(nc: NatsConnection): Promise<void> {
    this.flushing ??= Promise.resolve().then(() => {
      this.flushing = undefined;
      return withTimeout(nc.flush(), this.descriptor.publishTimeoutMs, 'flush');
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.opened = undefined;
    const opened = await connection?.catch(() => undefined);
    await opened?.nc.close().catch(() => {});
  }
}

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
class CoreConsumer extends NatsConsumer {
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

interface PullTarget {
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
class JetStreamConsumer extends NatsConsumer {
  private messages: ConsumerMessages | undefined;
  /** Acks and naks written together once per turn of the event loop (one socket write, not one each). */
  private outgoing: Array<() => void> = [];
  private writing: NodeJS.Immediate | undefined;

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
        if (this.live(nc)) this.dispatch(handler, this.toDelivery(m, nc));
      },
    });
    this.messages = messages;
    return { done: messages.closed().then(noop, noop) };
  }

  protected async unsubscribe(): Promise<void> {
    this.writeOutgoing();
    await this.messages?.close();
  }

  private later(write: () => void): void {
    this.outgoing.push(write);
    this.writing ??= setImmediate(() => this.writeOutgoing());
  }

  private writeOutgoing(): void {
    clearImmediate(this.writing);
    this.writing = undefined;
    const writes = this.outgoing;
    this.outgoing = [];
    // A crashed consumer sends nothing more: its connection is gone, and so are these.
    if (this.state === 'crashed') return;
    for (const write of writes) write();
  }

  private toDelivery(m: JsMsg, nc: NatsConnection): Delivery {
    const h = m.headers;
    const info = m.info;
    const { id, key, poison } = readHeaders(h);
    return {
      id,
      dest: this.target.dest,
      key,
      poison,
      offset: info.streamSequence,
      redelivered: info.redelivered,
      deliveryCount: this.deadLetter ? undefined : info.deliveryCount,
      payload: m.data,
      deadLetter: this.deadLetter ? deadLetterInfo(h) : undefined,
      ack: () => this.ack(m, nc),
      nack: async ({ requeue, delayMs }) => {
        if (!this.live(nc)) return GONE;
        if (requeue) this.later(() => m.nak(delayMs !== undefined && delayMs > 0 ? delayMs : undefined));
        else this.later(() => m.term());
        return ok;
      },
    };
  }

  private async ack(m: JsMsg, nc: NatsConnection): Promise<AckOutcome> {
    if (!this.live(nc)) return GONE;
    if (this.descriptor.setup.doubleAck && !this.deadLetter) {
      try {
        const confirmed = await m.ackAck({ timeout: this.descriptor.ackTimeoutMs });
        return confirmed ? ok : { status: 'fail', error: 'this delivery was already acknowledged' };
      } catch (error) {
        return { status: 'info', error: `ack not confirmed: ${describeError(error)}` };
      }
    }
    this.later(() => m.ack());
    return UNCONFIRMED;
  }
}
