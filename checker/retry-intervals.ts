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

interface Delivery {
  n: number;
  t: number;
  /** The process incarnation that received it (see ProcessIncarnations). */
  owner: number;
  /** An ack invoke or a nack of its owner answered it. */
  answered: boolean;
  delayMs?: number;
}

/**
 * The real intervals between consecutive deliveries of the same message in the same group — the
 * backoff a retry pattern actually achieved, next to the one it asked for. Pure; fed in file order.
 *
 * A nack's backoff belongs to the delivery it answers, which need not be the message's latest: a
 * retry queue with a 10 ms TTL can hand the copy to another consumer before the nacking one records
 * its nack (it waits for the copy's publish confirm first). So a nack (or ack invoke) answers the
 * earlier of the message's last two deliveries that its own process incarnation received and has
 * not answered yet; a backoff that lands on the previous delivery joins the interval already taken.
 * (A nack that failed is not recorded, so its delivery stays unanswered: if the same consumer gets
 * the message again and nacks it, that backoff is counted one attempt early. Only a lost connection
 * makes a nack fail.)
 */
export class RetryIntervals {
  private readonly incarnations = new ProcessIncarnations();
  private readonly deliveries = new Map<string, { latest: Delivery; previous?: Delivery }>();
  private readonly byAttempt = new Map<number, { observed: number[]; intended: number[] }>();

  add(e: HistoryEvent): void {
    if (e.f === 'crash') {
      if (e.type === 'info') this.incarnations.crashed(e.target);
      return;
    }
    const answers = e.f === 'nack' || (e.f === 'ack' && e.type === 'invoke');
    if (e.f !== 'deliver' && !answers) return;
    const key = `${e.group ?? DEFAULT_GROUP}\u0000${e.id}`;
    const known = this.deliveries.get(key);
    const owner = this.incarnations.of(e.p);
    if (answers) {
      if (!known) return;
      const delayMs = e.f === 'nack' && typeof e.delayMs === 'number' ? e.delayMs : undefined;
      const { latest, previous } = known;
      if (previous && previous.owner === owner && !previous.answered) {
        previous.answered = true;
        if (delayMs !== undefined) this.bucket(previous.n).intended.push(delayMs);
      } else if (latest.owner === owner && !latest.answered) {
        latest.answered = true;
        latest.delayMs = delayMs;
      }
      return;
    }
    if (known) {
      const { latest } = known;
      const bucket = this.bucket(latest.n);
      bucket.observed.push((e.t - latest.t) / 1000);
      if (latest.delayMs !== undefined) bucket.intended.push(latest.delayMs);
    }
    const next = { n: (known?.latest.n ?? 0) + 1, t: e.t, owner, answered: false };
    this.deliveries.set(key, { latest: next, previous: known?.latest });
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

  private bucket(afterDelivery: number) {
    let bucket = this.byAttempt.get(afterDelivery);
    if (!bucket) {
      bucket = { observed: [], intended: [] };
      this.byAttempt.set(afterDelivery, bucket);
    }
    return bucket;
  }
}

/**
 * A number per process incarnation: a restarted consumer keeps its name, but what it received
 * before its crash is never answered by the new incarnation.
 */
export class ProcessIncarnations {
  private readonly current = new Map<string, number>();
  private next = 1;

  of(process: string): number {
    let k = this.current.get(process);
    if (k === undefined) {
      k = this.next++;
      this.current.set(process, k);
    }
    return k;
  }

  crashed(process: string): void {
    this.current.set(process, this.next++);
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
