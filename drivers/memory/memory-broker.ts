import type { Random } from '../../core/random.ts';
import { AnomalyInjector, type AnomalyRates } from './anomalies.ts';
import { type MemoryLog, partitionFor } from './memory-log.ts';
import type { MemoryQueue } from './memory-queue.ts';
import { type StoredMessage, TimerSet } from './stored-message.ts';

/** Where a publish goes: a log, or one or more queues (a fan-out exchange binds one per group). */
export type Route = { kind: 'log'; log: MemoryLog } | { kind: 'queues'; queues: readonly MemoryQueue[] };

export type PublishResult =
  | { status: 'ok'; partition?: number; offset?: number }
  | { status: 'fail'; error: string };

const REORDER_HOLD_MS = 25;

/**
 * The publishing side of the memory broker, where send-path anomalies happen: a message may be
 * dropped after acknowledgement, stored twice, held back so a later message with the same key
 * overtakes it, or stored while the producer is told the send failed.
 */
export class MemoryBroker {
  readonly anomalies: AnomalyInjector;
  private readonly held = new Map<string, { message: StoredMessage; route: Route }>();
  private readonly timers = new TimerSet();
  /** Per key, what was appended to it as an event store (sends of an event store's setup). */
  private readonly journals = new Map<string, { payload: Uint8Array; position: number }[]>();
  private lastPosition = 0;

  constructor(rates: AnomalyRates, random: Random) {
    this.anomalies = new AnomalyInjector(rates, random);
  }

  /** Messages held back by the reorder anomaly, not yet stored. */
  get heldCount(): number {
    return this.held.size;
  }

  publish(route: Route, message: StoredMessage): PublishResult {
    const anomalies = this.anomalies;
    // Predict where a log record lands, so the producer hears partition/offset even when held or dropped.
    if (anomalies.roll('drop')) {
      anomalies.count('drop');
      return { status: 'ok' };
    }
    const phantom = anomalies.roll('phantom');
    const copies = anomalies.roll('duplicate') ? 2 : 1;
    if (copies === 2) anomalies.count('duplicate');

    const holdKey = `${route.kind === 'log' ? route.log.name : route.queues[0]?.name}|${message.key ?? ''}`;
    const previouslyHeld = this.held.get(holdKey);
    let result: PublishResult = { status: 'ok' };
    if (!previouslyHeld && message.key !== undefined && anomalies.roll('reorder')) {
      this.held.set(holdKey, { message, route });
      this.timers.after(REORDER_HOLD_MS, () => this.release(holdKey));
      if (route.kind === 'log') {
        result = { status: 'ok', partition: partitionFor(message.key, route.log.options.partitions, 0) };
      }
    } else {
      for (let c = 0; c < copies; c++) result = this.store(route, message);
      if (previouslyHeld) {
        // The held message is stored after the one that overtook it.
        this.held.delete(holdKey);
        anomalies.count('reorder');
        this.store(previouslyHeld.route, previouslyHeld.message);
      }
    }
    if (phantom) {
      anomalies.count('phantom');
      return {
        status: 'fail',
        error: 'broker rejected the message (injected phantom: it was stored anyway)',
      };
    }
    return result;
  }

  /**
   * The broker as an event store: publishes only if the key's last appended message is at
   * `expected` (0: none yet), as JetStream's expected last subject sequence does — unless the
   * `ignoreExpectedVersion` anomaly lets a stale append through. Without `expected`, a plain
   * append to the key's journal (a single writer's).
   */
  append(route: Route, message: StoredMessage, expected: number | undefined): PublishResult {
    const key = message.key ?? '';
    const journal = this.journals.get(key) ?? [];
    if (expected !== undefined && (journal.at(-1)?.position ?? 0) !== expected) {
      if (!this.anomalies.roll('ignoreExpectedVersion')) return { status: 'fail', error: 'conflict' };
      this.anomalies.count('ignoreExpectedVersion');
    }
    const result = this.publish(route, message);
    if (result.status === 'ok') {
      journal.push({ payload: message.payload, position: ++this.lastPosition });
      this.journals.set(key, journal);
    }
    return result;
  }

  /** Every message appended to `key` as an event store, in order, with its position. */
  readKey(key: string): { payload: Uint8Array; position: number }[] {
    return [...(this.journals.get(key) ?? [])];
  }

  private release(holdKey: string): void {
    const held = this.held.get(holdKey);
    if (!held) return;
    this.held.delete(holdKey);
    this.store(held.route, held.message);
  }

  private store(route: Route, message: StoredMessage): PublishResult {
    if (route.kind === 'log') {
      const record = route.log.append({ ...message });
      return { status: 'ok', partition: record.partition, offset: record.offset };
    }
    for (const queue of route.queues) queue.enqueue({ ...message });
    return { status: 'ok' };
  }

  dispose(): void {
    this.timers.clear();
    this.held.clear();
  }
}
