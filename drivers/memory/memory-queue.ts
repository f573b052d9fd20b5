import type { AnomalyInjector } from './anomalies.ts';
import { Deque } from './deque.ts';
import { type StoredMessage, TimerSet } from './stored-message.ts';

export interface QueueDelivery {
  message: StoredMessage;
  tag: number;
  redelivered: boolean;
}

export type AckResult = { ok: true } | { ok: false; error: string };

interface InFlight {
  message: StoredMessage;
  subscription: QueueSubscription;
  timer: NodeJS.Timeout;
}

export interface MemoryQueueOptions {
  name: string;
  /** Un-acked deliveries come back after this long (SQS visibility timeout / consumer timeout). */
  ackTimeoutMs: number;
  /** Dead-letter a message instead of delivering it a (maxDeliveries+1)-th time. */
  maxDeliveries?: number | undefined;
  deadLetter?: MemoryQueue | undefined;
}

/**
 * A work queue: competing consumers with prefetch, manual acks, nack with requeue (optionally
 * delayed, for backoff), a visibility timeout after which un-acked messages come back, and a
 * delivery limit that routes to a dead-letter queue.
 */
export class MemoryQueue {
  private ready = new Deque<StoredMessage>();
  private readonly inFlight = new Map<number, InFlight>();
  private readonly subscriptions: QueueSubscription[] = [];
  private readonly timers = new TimerSet();
  private nextTag = 1;
  private roundRobin = 0;
  private dispatchScheduled = false;
  private deleted = false;

  constructor(
    readonly options: MemoryQueueOptions,
    private readonly anomalies: AnomalyInjector,
  ) {}

  get name(): string {
    return this.options.name;
  }

  enqueue(message: StoredMessage): void {
    if (this.deleted) return;
    this.ready.push(message);
    this.scheduleDispatch();
  }

  /** Ready, in flight, or waiting out a delay. */
  get depth(): number {
    return this.ready.length + this.inFlight.size + this.timers.pending;
  }

  subscribe(prefetch: number, onDeliver: (d: QueueDelivery) => void): QueueSubscription {
    const subscription = new QueueSubscription(this, prefetch, onDeliver);
    this.subscriptions.push(subscription);
    this.scheduleDispatch();
    return subscription;
  }

  private scheduleDispatch(): void {
    if (this.dispatchScheduled || this.deleted) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.ready.length > 0) {
      const subscription = this.nextSubscriptionWithCapacity();
      if (!subscription) return;
      const message = this.ready.shift()!;
      const { maxDeliveries } = this.options;
      if (maxDeliveries !== undefined && message.deliveryCount >= maxDeliveries) {
        this.deadLetterMessage(message);
        continue;
      }
      message.deliveryCount++;
      const tag = this.nextTag++;
      // Each queue holds its own copy, fresh at 0: a count above one is a redelivery from this
      // queue (no set of every message delivered, which kept each one and its payload to the end).
      const redelivered = message.deliveryCount > 1;
      const timer = setTimeout(() => this.expire(tag), this.options.ackTimeoutMs);
      this.inFlight.set(tag, { message, subscription, timer });
      subscription.inFlight.add(tag);
      subscription.onDeliver({ message, tag, redelivered });
    }
  }

  private nextSubscriptionWithCapacity(): QueueSubscription | undefined {
    const live = this.subscriptions;
    for (let k = 0; k < live.length; k++) {
      const s = live[(this.roundRobin + k) % live.length]!;
      if (s.active && s.inFlight.size < s.prefetch) {
        this.roundRobin = (this.roundRobin + k + 1) % live.length;
        return s;
      }
    }
    return undefined;
  }

  private deadLetterMessage(message: StoredMessage): void {
    const target = this.options.deadLetter;
    if (!target) return; // discarded, as a broker without a dead-letter target does
    target.enqueue({ ...message, deliveryCount: 0, deadLetteredAfter: message.deliveryCount });
  }

  /** The visibility timeout ran out: the message comes back for anyone. */
  private expire(tag: number): void {
    const entry = this.inFlight.get(tag);
    if (!entry) return;
    this.inFlight.delete(tag);
    entry.subscription.inFlight.delete(tag);
    this.ready.unshift(entry.message);
    this.scheduleDispatch();
  }

  private take(subscription: QueueSubscription, tag: number): InFlight | undefined {
    const entry = this.inFlight.get(tag);
    if (!entry || entry.subscription !== subscription) return undefined;
    clearTimeout(entry.timer);
    this.inFlight.delete(tag);
    subscription.inFlight.delete(tag);
    this.scheduleDispatch();
    return entry;
  }

  ack(subscription: QueueSubscription, tag: number): AckResult {
    const entry = this.take(subscription, tag);
    if (!entry)
      return { ok: false, error: `unknown delivery tag ${tag} (the visibility timeout had run out)` };
    if (this.anomalies.roll('redeliverAfterAck')) {
      this.anomalies.count('redeliverAfterAck');
      this.ready.push(entry.message);
      this.scheduleDispatch();
    }
    return { ok: true };
  }

  nack(subscription: QueueSubscription, tag: number, requeue: boolean, delayMs = 0): AckResult {
    const entry = this.take(subscription, tag);
    if (!entry)
      return { ok: false, error: `unknown delivery tag ${tag} (the visibility timeout had run out)` };
    if (!requeue) {
      this.deadLetterMessage(entry.message);
    } else if (delayMs > 0) {
      this.timers.after(delayMs, () => this.enqueue(entry.message));
    } else {
      this.ready.unshift(entry.message);
      this.scheduleDispatch();
    }
    return { ok: true };
  }

  /** The consumer vanished: its messages stay in flight until their timeout (or are lost, if injected). */
  crashed(subscription: QueueSubscription): void {
    subscription.active = false;
    this.remove(subscription);
    if (!this.anomalies.roll('loseUnackedOnCrash')) return;
    for (const tag of [...subscription.inFlight]) {
      const entry = this.inFlight.get(tag)!;
      clearTimeout(entry.timer);
      this.inFlight.delete(tag);
      this.anomalies.count('loseUnackedOnCrash');
    }
    subscription.inFlight.clear();
  }

  /** A clean close: un-acked messages are requeued at once. */
  closed(subscription: QueueSubscription): void {
    subscription.active = false;
    this.remove(subscription);
    for (const tag of [...subscription.inFlight]) this.expire(tag);
  }

  private remove(subscription: QueueSubscription): void {
    const at = this.subscriptions.indexOf(subscription);
    if (at >= 0) this.subscriptions.splice(at, 1);
  }

  delete(): void {
    this.deleted = true;
    for (const entry of this.inFlight.values()) clearTimeout(entry.timer);
    this.inFlight.clear();
    this.timers.clear();
    this.ready = new Deque<StoredMessage>();
    this.subscriptions.length = 0;
  }
}

export class QueueSubscription {
  active = true;
  readonly inFlight = new Set<number>();
  constructor(
    readonly queue: MemoryQueue,
    readonly prefetch: number,
    readonly onDeliver: (d: QueueDelivery) => void,
  ) {}
}
