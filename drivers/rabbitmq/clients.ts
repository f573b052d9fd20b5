import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { ClientRole } from '../../core/brokers.ts';
import { sleep } from '../../core/clock.ts';
import { describeError } from '../../core/errors.ts';
import type { HostPort } from '../../provision/endpoints.ts';
import { CaseClients } from '../case-clients.ts';
import type {
  AckOutcome,
  Consumer,
  ConsumerOptions,
  DeliveryHandler,
  OutgoingMessage,
  Producer,
  SendOutcome,
} from '../driver.ts';
import { destroySocket, NodeCursor } from './connection.ts';
import { ATTEMPT_HEADER, RabbitDelivery } from './delivery.ts';
import type { RabbitSetupOptions } from './setups.ts';

/** Everything another process needs to reach a case's topology. */
export interface RabbitDescriptor {
  [key: string]: unknown;
  /** The broker's URL for admin connections, and for every client without `roles`. */
  url: string;
  /** On a cluster: every node's URL, `url` first (clients move to the next when theirs fails). */
  urls?: string[] | undefined;
  /** Producers' and consumers' own URLs (each role behind its own proxy), when provisioned so. */
  roles?: Record<ClientRole, string> | undefined;
  dest: string;
  exchange: string;
  /** Work queue per subscriber group. */
  queues: Record<string, string>;
  /** Dead-letter queue per group (setups that dead-letter). */
  deadLetters: Record<string, string>;
  /** Retry queue per group and attempt: retries[group][attempt - 1]. */
  retries: Record<string, string[]>;
  setup: RabbitSetupOptions;
  maxAttempts: number | undefined;
  confirmTimeoutMs: number;
  connectTimeoutMs: number;
}

/** The URL a client of `role` connects to (dead-letter readers are consumers). */
export function urlFor(d: RabbitDescriptor, role: ClientRole | 'admin'): string {
  return (role !== 'admin' && d.roles?.[role]) || d.url;
}

/** The URLs a client of `role` may connect to: its role's own, else every node of a cluster. */
export function urlsFor(d: RabbitDescriptor, role: ClientRole | 'admin'): string[] {
  const own = role !== 'admin' ? d.roles?.[role] : undefined;
  return own ? [own] : (d.urls ?? [d.url]);
}

/** `url` with its host and port replaced (credentials and vhost kept). */
function urlVia(url: string, via: HostPort): string {
  const parsed = new URL(url);
  parsed.hostname = via.host;
  parsed.port = String(via.port);
  return parsed.toString();
}

const START_ATTEMPTS = 5;
const ok: AckOutcome = { status: 'ok' };
const CHANNEL_CLOSED: AckOutcome = { status: 'fail', error: 'channel closed: the broker will redeliver' };
/** AMQP 0-9-1 never confirms an ack: it may be lost with the connection (and redelivered). */
const UNCONFIRMED: AckOutcome = {
  status: 'info',
  error: 'written to the socket; AMQP acks are not confirmed',
};
/** The answers that need no waiting, as promises made once (the consume path makes none per message). */
const OK_NOW = Promise.resolve(ok);
const CHANNEL_CLOSED_NOW = Promise.resolve(CHANNEL_CLOSED);
const UNCONFIRMED_NOW = Promise.resolve(UNCONFIRMED);

/** Producers and consumers of one case, in whichever process they run. */
export class RabbitClients extends CaseClients<RabbitDescriptor> {
  async producer(name: string): Promise<Producer> {
    return this.track(new RabbitProducer(this.descriptor, name));
  }

  async consumer(name: string, group: string, options: ConsumerOptions = {}): Promise<Consumer> {
    const queue = this.descriptor.queues[group];
    if (!queue) throw new Error(`no queue for group ${group}`);
    const urls = options.via ? [urlVia(urlFor(this.descriptor, 'consumers'), options.via)] : undefined;
    return this.track(new RabbitConsumer(this.descriptor, name, group, queue, false, this.log, urls));
  }

  async deadLetterConsumer(name: string, group: string): Promise<Consumer> {
    const queue = this.descriptor.deadLetters[group];
    if (!queue) throw new Error(`group ${group} has no dead-letter queue in this setup`);
    return this.track(new RabbitConsumer(this.descriptor, name, group, queue, true, this.log));
  }
}

/** A producer's connection, its confirm channel, and the ids returned on it not yet confirmed. */
interface OpenProducer {
  model: ChannelModel;
  channel: ConfirmChannel;
  returned: Set<string>;
}

const UNROUTABLE = 'the broker routed the message to no queue (basic.return), then confirmed it';

/**
 * Publishes with confirms: a confirm is `ok`, a broker nack `fail`; a send whose connection could
 * not even be opened is `fail` (nothing was written); a channel that closed, or no confirm in time,
 * leaves the outcome unknown: `info`.
 *
 * Publishes are `mandatory`. RabbitMQ confirms a message that routed to no queue as it confirms one
 * it enqueued; only a mandatory publish hears of it, as a `basic.return` sent before the confirm.
 * That is `fail` (definitely not enqueued), not `ok`. It happens right after a restart: for a
 * moment the exchange routes to nothing (docs/findings.md, "RabbitMQ").
 */
class RabbitProducer implements Producer {
  private connection: Promise<OpenProducer> | undefined;
  /** Sends awaiting a confirm, with their deadlines: one sweep timer instead of a timer per send. */
  private readonly waiting = new Map<(outcome: SendOutcome) => void, number>();
  private sweeper: NodeJS.Timeout | undefined;

  private sweepConfirms(): void {
    if (this.sweeper || this.waiting.size === 0) return;
    this.sweeper = setTimeout(() => {
      this.sweeper = undefined;
      const now = Date.now();
      for (const [done, deadline] of this.waiting) {
        if (deadline <= now) {
          done({
            status: 'info',
            error: `no publisher confirm within ${this.descriptor.confirmTimeoutMs} ms`,
          });
        }
      }
      this.sweepConfirms();
    }, 100);
  }

  private readonly cursor: NodeCursor;

  constructor(
    private readonly descriptor: RabbitDescriptor,
    private readonly name: string,
  ) {
    this.cursor = new NodeCursor(urlsFor(descriptor, 'producers'), name);
  }

  private channel() {
    this.connection ??= this.cursor
      .open({ timeoutMs: this.descriptor.connectTimeoutMs, name: `brokerproof ${this.name}` })
      .then((opened) => {
        // A lost connection is re-opened by the next send (on a cluster, at the next node first).
        const forget = () => {
          if (this.connection === current) this.cursor.moveOn();
          this.connection = undefined;
        };
        opened.model.once('close', forget);
        opened.channel.once('close', forget);
        // Ids the broker handed back as unroutable on this channel, until their confirm comes.
        const returned = new Set<string>();
        opened.channel.on('return', (message: ConsumeMessage) => {
          const id = message.properties.messageId;
          if (typeof id === 'string') returned.add(id);
        });
        return { ...opened, returned };
      });
    const current = this.connection;
    return current.catch((error: unknown) => {
      if (this.connection === current) this.connection = undefined;
      throw error;
    });
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    let channel: ConfirmChannel;
    let returned: Set<string>;
    try {
      ({ channel, returned } = await this.channel());
    } catch (error) {
      return { status: 'fail', error: describeError(error) };
    }
    if (this.descriptor.setup.publisherConfirms === false) return this.fireAndForget(channel, message);
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const done = (outcome: SendOutcome) => {
        if (settled) return;
        settled = true;
        this.waiting.delete(done);
        resolve(outcome);
      };
      this.waiting.set(done, Date.now() + this.descriptor.confirmTimeoutMs);
      this.sweepConfirms();
      try {
        channel.publish(
          this.descriptor.exchange,
          '',
          Buffer.from(message.payload),
          {
            persistent: true,
            mandatory: this.descriptor.setup.mandatory !== false,
            messageId: message.id,
            headers: { 'bp-key': message.key, 'bp-poison': message.poison },
          },
          (error: Error | null) => {
            if (returned.delete(message.id)) done({ status: 'fail', error: UNROUTABLE });
            else if (!error) done({ status: 'ok' });
            else if (/nacked/.test(error.message))
              done({ status: 'fail', error: 'the broker nacked the message' });
            else done({ status: 'info', error: `${error.message} before the confirm` });
          },
        );
      } catch (error) {
        done({ status: 'info', error: `publish failed: ${describeError(error)}` });
      }
    });
  }

  /** A custom setup with `publisherConfirms: false`: publish and go on, as producers that never wait do. */
  private fireAndForget(channel: ConfirmChannel, message: OutgoingMessage): SendOutcome {
    try {
      channel.publish(this.descriptor.exchange, '', Buffer.from(message.payload), {
        persistent: true,
        messageId: message.id,
        headers: { 'bp-key': message.key, 'bp-poison': message.poison },
      });
      return { status: 'info', error: 'publisher confirms off: the broker confirms nothing', final: true };
    } catch (error) {
      return { status: 'info', error: `publish failed: ${describeError(error)}`, final: true };
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.sweeper);
    this.sweeper = undefined;
    const connection = this.connection;
    this.connection = undefined;
    const opened = await connection?.catch(() => undefined);
    await opened?.model.close().catch(() => {});
  }
}

/**
 * A consumer with prefetch and manual acks (or noAck). It re-subscribes when its connection is
 * lost, until it is closed or crashed. `crash` destroys the socket without a goodbye.
 */
export class RabbitConsumer implements Consumer {
  private model: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private state: 'new' | 'running' | 'crashed' | 'closed' = 'new';
  private handler: DeliveryHandler | undefined;
  /** With a single active consumer, handlers run one after another: processing keeps the queue's order. */
  private handled: Promise<void> = Promise.resolve();

  constructor(
    private readonly descriptor: RabbitDescriptor,
    private readonly name: string,
    private readonly group: string,
    private readonly queue: string,
    private readonly deadLetter: boolean,
    private readonly log: (message: string) => void,
    /** Where this consumer connects, when not through the consumers' own URLs (its own proxy). */
    urls: readonly string[] = urlsFor(descriptor, 'consumers'),
  ) {
    this.cursor = new NodeCursor(urls, name);
  }

  private readonly cursor: NodeCursor;

  private get autoAck(): boolean {
    return this.descriptor.setup.autoAck === true && !this.deadLetter;
  }

  async start(handler: DeliveryHandler): Promise<void> {
    this.handler = handler;
    this.state = 'running';
    // A broker just restarted can refuse a subscription for a moment (a queue electing its leader).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.subscribe();
        return;
      } catch (error) {
        if (attempt >= START_ATTEMPTS || this.state !== 'running') throw error;
        await sleep(200 * attempt);
      }
    }
  }

  private async subscribe(): Promise<void> {
    const { model, channel } = await this.cursor.open({
      timeoutMs: this.descriptor.connectTimeoutMs,
      name: `brokerproof ${this.name}`,
    });
    if (this.state !== 'running') {
      await model.close().catch(() => {});
      return;
    }
    this.model = model;
    this.channel = channel;
    model.once('close', () => {
      if (this.model !== model) return;
      this.cursor.moveOn();
      void this.resubscribe();
    });
    await channel.prefetch(this.descriptor.setup.prefetch);
    await channel.consume(this.queue, (message) => message && this.deliver(channel, message), {
      noAck: this.autoAck,
    });
  }

  /** The connection went away under us (network fault, broker restart): come back when possible. */
  private async resubscribe(): Promise<void> {
    this.model = undefined;
    this.channel = undefined;
    let delay = 100;
    let failures = 0;
    while (this.state === 'running') {
      try {
        await this.subscribe();
        if (failures > 0) this.log(`${this.name}: reconnected to RabbitMQ after ${failures} failed attempts`);
        return;
      } catch (error) {
        // Once per outage, not once per attempt.
        if (failures++ === 0) this.log(`${this.name}: lost RabbitMQ (${describeError(error)}), reconnecting`);
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
      }
    }
  }

  private deliver(channel: ConfirmChannel, message: ConsumeMessage): void {
    const delivery = new RabbitDelivery(
      this,
      channel,
      message,
      this.descriptor,
      this.deadLetter ? this.queue : undefined,
    );
    const handler = this.handler;
    if (!handler) return;
    if (this.descriptor.setup.singleActiveConsumer === true) {
      this.handled = this.handled.then(() => handler(delivery)).catch(() => {});
    } else void handler(delivery);
  }

  /** Acknowledges `message` on `channel` (for its delivery). */
  ackMessage(channel: ConfirmChannel, message: ConsumeMessage): Promise<AckOutcome> {
    if (this.autoAck) return OK_NOW;
    if (!this.stillOpen(channel)) return CHANNEL_CLOSED_NOW;
    try {
      channel.ack(message);
      return UNCONFIRMED_NOW;
    } catch (error) {
      return Promise.resolve({ status: 'fail', error: describeError(error) });
    }
  }

  /** Gives `message` back: requeued (or to the retry queue of its attempt), or rejected. */
  async nackMessage(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    attempt: number,
    requeue: boolean,
    delayMs: number | undefined,
  ): Promise<AckOutcome> {
    if (this.autoAck) return ok;
    if (!this.stillOpen(channel)) return CHANNEL_CLOSED;
    try {
      if (requeue && this.descriptor.setup.retryQueues)
        return await this.retryLater(channel, message, attempt, delayMs ?? 0);
      channel.nack(message, false, requeue);
      return ok;
    } catch (error) {
      return { status: 'info', error: describeError(error) };
    }
  }

  private stillOpen(channel: ConfirmChannel): boolean {
    return this.channel === channel && this.state === 'running';
  }

  /**
   * The retry pattern: republish to the retry queue of this attempt (its messages expire after the
   * backoff and dead-letter back to the work queue), then ack; after the last attempt, reject so
   * the work queue dead-letters it.
   */
  private async retryLater(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    attempt: number,
    delayMs: number,
  ): Promise<AckOutcome> {
    const { maxAttempts, retries } = this.descriptor;
    const retryQueue = retries[this.group]?.[attempt - 1];
    if (maxAttempts !== undefined && attempt >= maxAttempts) {
      channel.reject(message, false);
      return ok;
    }
    if (!retryQueue) {
      channel.nack(message, false, true);
      return ok;
    }
    await new Promise<void>((resolve, reject) =>
      channel.sendToQueue(
        retryQueue,
        message.content,
        {
          ...message.properties,
          persistent: true,
          expiration: String(Math.max(1, Math.round(delayMs))),
          headers: { ...message.properties.headers, [ATTEMPT_HEADER]: attempt + 1 },
        },
        (error: Error | null) => (error ? reject(error) : resolve()),
      ),
    );
    channel.ack(message);
    return ok;
  }

  async crash(): Promise<void> {
    this.state = 'crashed';
    const model = this.model;
    this.model = undefined;
    this.channel = undefined;
    destroySocket(model);
  }

  async close(): Promise<void> {
    if (this.state === 'crashed') return;
    this.state = 'closed';
    const model = this.model;
    this.model = undefined;
    this.channel = undefined;
    await model?.close().catch(() => {});
  }
}
