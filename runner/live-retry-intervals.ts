/**
 * The real intervals between consecutive deliveries of a message in a group, folded live while a
 * case records (checker/retry-intervals.ts gives the same statistics from a history it is fed). A
 * case of 10^6 messages keeps a few numbers per message in typed arrays, not an object and a key
 * string each, and per attempt a running min/mean/max rather than every interval.
 */
import type { RetryIntervalStats } from '../checker/retry-intervals.ts';
import { DEFAULT_GROUP, type HistoryEvent } from '../core/events.ts';
import { float64s, GroupColumns, int32s, MessageSlots } from '../core/per-message.ts';

interface Attempt {
  samples: number;
  sum: number;
  min: number;
  max: number;
  intended: number;
  intendedSum: number;
}

export class LiveRetryIntervals {
  private readonly slots = new MessageSlots();
  /** Per group and message: deliveries so far (0: none), the last one's t, the backoff asked for after it. */
  private readonly count = new GroupColumns(int32s);
  private readonly lastT = new GroupColumns(float64s);
  private readonly delayMs = new GroupColumns(float64s, Number.NaN);
  private readonly byAttempt = new Map<number, Attempt>();

  add(e: HistoryEvent): void {
    if (e.f !== 'deliver' && e.f !== 'nack') return;
    const group = e.group ?? DEFAULT_GROUP;
    const slot = this.slots.slot(String(e.id));
    const n = this.count.of(group).get(slot);
    const delay = this.delayMs.of(group);
    if (e.f === 'nack') {
      if (n > 0 && typeof e.delayMs === 'number') delay.set(slot, e.delayMs);
      return;
    }
    const lastT = this.lastT.of(group);
    if (n > 0) {
      let attempt = this.byAttempt.get(n);
      if (!attempt) {
        attempt = { samples: 0, sum: 0, min: Infinity, max: -Infinity, intended: 0, intendedSum: 0 };
        this.byAttempt.set(n, attempt);
      }
      const observed = (e.t - lastT.get(slot)) / 1000;
      attempt.samples++;
      attempt.sum += observed;
      attempt.min = Math.min(attempt.min, observed);
      attempt.max = Math.max(attempt.max, observed);
      const intended = delay.get(slot);
      if (!Number.isNaN(intended)) {
        attempt.intended++;
        attempt.intendedSum += intended;
      }
    }
    this.count.of(group).set(slot, n + 1);
    lastT.set(slot, e.t);
    delay.set(slot, Number.NaN);
  }

  result(): RetryIntervalStats[] {
    return [...this.byAttempt.entries()]
      .sort(([a], [b]) => a - b)
      .map(([afterDelivery, a]) => ({
        afterDelivery,
        samples: a.samples,
        intendedMs: a.intended ? round(a.intendedSum / a.intended) : undefined,
        minMs: round(a.min),
        meanMs: round(a.sum / a.samples),
        maxMs: round(a.max),
      }));
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
