/**
 * Recovery after faults (OpenChaos RTO: from a fault's heal to the first successful send and to
 * the first delivery) and unavailability windows (no successful send / no delivery while one was
 * waiting). Pure: fed times in ms, in any order.
 */
import type { FaultRecovery, UnavailabilityWindow } from './types.ts';

/** A gap shorter than this is never a window; ten median gaps raise the bar for slow workloads. */
export const MIN_WINDOW_MS = 200;
const MEDIAN_GAPS = 10;

/** The index of the first element of ascending `sorted` that is ≥ v, or -1. */
export function firstAtOrAfter(sorted: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! >= v) hi = mid;
    else lo = mid + 1;
  }
  return lo < sorted.length ? lo : -1;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export interface FaultSpan {
  kind: 'fault' | 'crash';
  label: string;
  startMs: number;
  healedAtMs: number | null;
}

/** Recovery of each fault, against ascending send-ok and delivery times. */
export function recoveries(
  faults: readonly FaultSpan[],
  sendOkMs: ArrayLike<number>,
  deliveryMs: ArrayLike<number>,
): FaultRecovery[] {
  const after = (sorted: ArrayLike<number>, heal: number | null) => {
    if (heal === null) return null;
    const k = firstAtOrAfter(sorted, heal);
    return k < 0 ? null : round(sorted[k]! - heal);
  };
  return faults.map((f) => ({
    ...f,
    startMs: round(f.startMs),
    healedAtMs: f.healedAtMs === null ? null : round(f.healedAtMs),
    firstSendOkAfterMs: after(sendOkMs, f.healedAtMs),
    firstDeliveryAfterMs: after(deliveryMs, f.healedAtMs),
  }));
}

/**
 * Follows one kind of success (send ok, or delivery) and what waited for it: a window runs from
 * when something began to wait (a send invoked, a message acknowledged) to the next success.
 */
export class GapTracker {
  private last: number | undefined;
  /** Since when something has waited without a success; undefined: nothing waits. */
  private waitingSince: number | undefined;
  private readonly candidates: UnavailabilityWindow[] = [];
  private readonly gaps: number[] = [];

  /** Something is waiting from `ms` on (a send in flight, a message not yet delivered). */
  waiting(ms: number): void {
    if (this.waitingSince === undefined) this.waitingSince = ms;
  }

  /** A success at `ms`; `stillWaiting`: something else waits on after it. */
  success(ms: number, stillWaiting: boolean): void {
    if (this.last !== undefined && ms >= this.last) this.gaps.push(ms - this.last);
    if (this.waitingSince !== undefined && ms - this.waitingSince >= MIN_WINDOW_MS) {
      this.candidates.push(window(this.waitingSince, ms, false));
    }
    this.last = Math.max(ms, this.last ?? ms);
    this.waitingSince = stillWaiting ? ms : undefined;
  }

  /** Windows at least the threshold long; one left open at `endMs` when something still waits. */
  result(endMs: number): { thresholdMs: number; windows: UnavailabilityWindow[] } {
    const sorted = Float64Array.from(this.gaps).sort();
    const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : 0;
    const thresholdMs = round(Math.max(MIN_WINDOW_MS, MEDIAN_GAPS * median));
    const windows = this.candidates.filter((w) => w.durationMs >= thresholdMs);
    if (this.waitingSince !== undefined && endMs - this.waitingSince >= thresholdMs) {
      windows.push(window(this.waitingSince, endMs, true));
    }
    return { thresholdMs, windows };
  }
}

const window = (from: number, to: number, open: boolean): UnavailabilityWindow => ({
  fromMs: round(from),
  toMs: round(to),
  durationMs: round(to - from),
  open,
});
