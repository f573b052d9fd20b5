import type { EventInput } from './events.ts';

/** Events of one source (a worker process) arrive in its own time order; `advance` says how far it got. */
export interface MergeSource {
  /** `json`: the event's JSON as the source wrote it, when it has it (written as is). */
  push(t: number, input: EventInput, json?: string): void;
  /** The source will send nothing stamped before `t` (a heartbeat). */
  advance(t: number): void;
  /** The source ended (exited, was killed): nothing more will come from it. */
  close(): void;
}

interface Pending {
  t: number;
  seq: number;
  input: EventInput;
  json: string | undefined;
}

/**
 * Merges events stamped in several processes into one order by time. Each worker's events arrive
 * in its own order, but late relative to others (a pipe, a busy event loop); an event is released
 * once every open source has advanced past its time (events and heartbeats carry that progress),
 * or once it has waited `maxHoldMicros` (a stuck source must not stall the history). With no
 * worker sources open, events pass straight through.
 */
export class EventMerge {
  private readonly heap: Pending[] = [];
  private readonly progress = new Map<number, number>();
  private nextSource = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly emit: (input: EventInput, t: number, json: string | undefined) => void,
    private readonly now: () => number,
    private readonly maxHoldMicros = 2_000_000,
  ) {}

  /** An event of this process, stamped now. */
  pushLocal(t: number, input: EventInput, json?: string): void {
    if (this.progress.size === 0 && this.heap.length === 0) {
      this.emit(input, t, json);
      return;
    }
    this.insert({ t, seq: this.seq++, input, json });
    this.pump();
  }

  open(): MergeSource {
    const id = this.nextSource++;
    this.progress.set(id, 0);
    return {
      push: (t, input, json) => {
        const progress = this.progress.get(id);
        if (progress === undefined) {
          // A closed source's late event: held like any other, released by the next pump or flush.
          this.insert({ t, seq: this.seq++, input, json });
          return;
        }
        if (t > progress) this.progress.set(id, t);
        // The usual case, one event at a time from a worker ahead of the rest: nothing is held and
        // nothing earlier can still come, so it goes out as the heap would have released it.
        if (this.heap.length === 0 && t <= this.watermark()) {
          this.emit(input, t, json);
          return;
        }
        this.insert({ t, seq: this.seq++, input, json });
        this.pump();
      },
      advance: (t) => this.advanceSource(id, t),
      close: () => {
        this.progress.delete(id);
        this.pump();
      },
    };
  }

  /** Releases everything held, in time order. */
  flush(): void {
    while (this.heap.length > 0) this.release(this.pop());
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Every open source has reported progress up to `t`: nothing stamped before it is still on its way. */
  caughtUp(t: number): boolean {
    for (const progress of this.progress.values()) if (progress < t) return false;
    return true;
  }

  private advanceSource(id: number, t: number): void {
    if (!this.progress.has(id)) return;
    if (t > this.progress.get(id)!) this.progress.set(id, t);
    this.pump();
  }

  /** How far every open source has got (+∞ with none open). */
  private watermark(): number {
    let watermark = Number.POSITIVE_INFINITY;
    for (const t of this.progress.values()) if (t < watermark) watermark = t;
    return watermark;
  }

  private pump(): void {
    const watermark = this.watermark();
    while (this.heap.length > 0 && this.heap[0]!.t <= watermark) this.release(this.pop());
    if (this.heap.length === 0) return;
    // The clock is read only when something is still held (it costs more than the rest of a push).
    const overdue = this.now() - this.maxHoldMicros;
    while (this.heap.length > 0 && this.heap[0]!.t <= overdue) this.release(this.pop());
    if (this.heap.length > 0 && !this.timer) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.pump();
        },
        Math.ceil(this.maxHoldMicros / 1000),
      );
      this.timer.unref();
    }
  }

  private release(p: Pending): void {
    this.emit(p.input, p.t, p.json);
  }

  // A binary min-heap on (t, seq): equal times keep arrival order.
  private before(a: Pending, b: Pending): boolean {
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }

  private insert(p: Pending): void {
    const heap = this.heap;
    heap.push(p);
    let k = heap.length - 1;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (!this.before(heap[k]!, heap[parent]!)) break;
      [heap[k], heap[parent]] = [heap[parent]!, heap[k]!];
      k = parent;
    }
  }

  private pop(): Pending {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < heap.length && this.before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && this.before(heap[r]!, heap[m]!)) m = r;
        if (m === k) break;
        [heap[k], heap[m]] = [heap[m]!, heap[k]!];
        k = m;
      }
    }
    return top;
  }
}
