/**
 * The real intervals between consecutive deliveries of a message in a group, folded live while a
 * case records (checker/retry-intervals.ts gives the same statistics from a history it is fed, and
 * says which delivery a nack answers). A case of 10^6 messages keeps a few numbers per message in
 * typed arrays, not an object and a key string each, and per attempt a running min/mean/max rather
 * than every interval.
 */
import { ProcessIncarnations, type RetryIntervalStats } from '../checker/retry-intervals.ts';
import { DEFAULT_GROUP, type HistoryEvent } from '../core/events.ts';
import { bytes, float64s, GroupColumns, int32s, MessageSlots } from '../core/per-message.ts';

interface Attempt {
  samples: number;
  sum: number;
  min: number;
  max: number;
  intended: number;
  intendedSum: number;
}

const LATEST_ANSWERED = 1;
const PREVIOUS_ANSWERED = 2;

export class LiveRetryIntervals {
  private readonly slots = new MessageSlots();
  private readonly incarnations = new ProcessIncarnations();
  /** Per group and message: deliveries so far (0: none), the last one's t, the backoff asked for after it. */
  private readonly count = new GroupColumns(int32s);
  private readonly lastT = new GroupColumns(float64s);
  private readonly delayMs = new GroupColumns(float64s, Number.NaN);
  /** Who received the last two deliveries (process incarnations), and which of them answered. */
  private readonly owner = new GroupColumns(int32s);
  private readonly previousOwner = new GroupColumns(int32s);
  private readonly answered = new GroupColumns(bytes);
  private readonly byAttempt = new Map<number, Attempt>();

  add(e: HistoryEvent): void {
    if (e.f === 'crash') {
      if (e.type === 'info') this.incarnations.crashed(e.target);
      return;
    }
    const answers = e.f === 'nack' || (e.f === 'ack' && e.type === 'invoke');
    if (e.f !== 'deliver' && !answers) return;
    const group = e.group ?? DEFAULT_GROUP;
    const slot = this.slots.slot(String(e.id));
    const n = this.count.of(group).get(slot);
    if (answers && n === 0) return; // nothing delivered yet to answer
    const process = this.incarnations.of(e.p);
    const owner = this.owner.of(group);
    const answered = this.answered.of(group);
    const flags = answered.get(slot);
    if (answers) {
      const delayMs = e.f === 'nack' && typeof e.delayMs === 'number' ? e.delayMs : Number.NaN;
      if (n > 1 && this.previousOwner.of(group).get(slot) === process && !(flags & PREVIOUS_ANSWERED)) {
        answered.set(slot, flags | PREVIOUS_ANSWERED);
        if (!Number.isNaN(delayMs)) {
          const attempt = this.attempt(n - 1);
          attempt.intended++;
          attempt.intendedSum += delayMs;
        }
      } else if (owner.get(slot) === process && !(flags & LATEST_ANSWERED)) {
        answered.set(slot, flags | LATEST_ANSWERED);
        this.delayMs.of(group).set(slot, delayMs);
      }
      return;
    }
    const lastT = this.lastT.of(group);
    const delay = this.delayMs.of(group);
    if (n > 0) {
      const attempt = this.attempt(n);
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
    this.previousOwner.of(group).set(slot, owner.get(slot));
    owner.set(slot, process);
    answered.set(slot, flags & LATEST_ANSWERED ? PREVIOUS_ANSWERED : 0);
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

  private attempt(afterDelivery: number): Attempt {
    let attempt = this.byAttempt.get(afterDelivery);
    if (!attempt) {
      attempt = { samples: 0, sum: 0, min: Infinity, max: -Infinity, intended: 0, intendedSum: 0 };
      this.byAttempt.set(afterDelivery, attempt);
    }
    return attempt;
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
