import { DEFAULT_GROUP, type HistoryEvent } from '../core/events.ts';

export interface RetryIntervalStats {
  /** Interval after the n-th delivery (n = 1 is the gap between the first and the second delivery). */
  afterDelivery: number;
  samples: number;
  /** Backoff the application asked for (nack `delayMs`), averaged; undefined when none was given. */
  intendedMs: number | undefined;
  minMs: number;
  meanMs: number;
  maxMs: number;
}

/**
 * The real intervals between consecutive deliveries of the same message in the same group — the
 * backoff a retry pattern actually achieved, next to the one it asked for. Pure; fed in file order.
 */
export class RetryIntervals {
  private readonly lastDelivery = new Map<string, { t: number; n: number; delayMs?: number }>();
  private readonly byAttempt = new Map<number, { observed: number[]; intended: number[] }>();

  add(e: HistoryEvent): void {
    if (e.f !== 'deliver' && e.f !== 'nack') return;
    const key = `${e.group ?? DEFAULT_GROUP}\u0000${e.id}`;
    const last = this.lastDelivery.get(key);
    if (e.f === 'nack') {
      if (last && typeof e.delayMs === 'number') last.delayMs = e.delayMs;
      return;
    }
    if (last) {
      let bucket = this.byAttempt.get(last.n);
      if (!bucket) {
        bucket = { observed: [], intended: [] };
        this.byAttempt.set(last.n, bucket);
      }
      bucket.observed.push((e.t - last.t) / 1000);
      if (last.delayMs !== undefined) bucket.intended.push(last.delayMs);
    }
    this.lastDelivery.set(key, { t: e.t, n: (last?.n ?? 0) + 1 });
  }

  result(): RetryIntervalStats[] {
    return [...this.byAttempt.entries()]
      .sort(([a], [b]) => a - b)
      .map(([afterDelivery, { observed, intended }]) => ({
        afterDelivery,
        samples: observed.length,
        intendedMs: intended.length
          ? round(intended.reduce((a, b) => a + b, 0) / intended.length)
          : undefined,
        minMs: round(observed.reduce((a, b) => Math.min(a, b), Infinity)),
        meanMs: round(observed.reduce((a, b) => a + b, 0) / observed.length),
        // Folded, not spread: a spread of 130 000 values overflows the call stack.
        maxMs: round(observed.reduce((a, b) => Math.max(a, b), -Infinity)),
      }));
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
