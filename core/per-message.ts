/**
 * Per-message bookkeeping in typed arrays instead of maps of strings: live folds of a case of 10^6
 * messages (coverage, retry intervals, settlement, report figures) otherwise keep 10^6 id strings
 * and map entries each, about 100 bytes a message apiece.
 *
 * The runner names its messages `m<n>` (runner/messages.ts): such an id is its own slot, `n`, and
 * is not kept. Any other id (a scenario's own, a resend's) is kept once and gets a negative slot.
 */
export class MessageSlots {
  private readonly others = new Map<string, number>();

  /** The id's slot: n ≥ 0 for `m<n>`, else a negative number assigned on first sight. */
  slot(id: string): number {
    const n = plannedNumber(id);
    if (n >= 0) return n;
    let k = this.others.get(id);
    if (k === undefined) {
      k = this.others.size;
      this.others.set(id, k);
    }
    return ~k;
  }
}

/** Below this a planned id is a slot of its own (a larger one, if any, is kept like other ids). */
const MAX_PLANNED = 1 << 30;

/** n for an id `m<n>` (decimal, no leading zero, n < 2^30); -1 for any other id. */
export function plannedNumber(id: string): number {
  const length = id.length;
  if (length < 2 || length > 10 || id.charCodeAt(0) !== 109 /* m */) return -1;
  if (length > 2 && id.charCodeAt(1) === 48 /* 0 */) return -1;
  let n = 0;
  for (let k = 1; k < length; k++) {
    const digit = id.charCodeAt(k) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n < MAX_PLANNED ? n : -1;
}

type Numbers = Float64Array | Int32Array | Uint16Array | Uint8Array;

/**
 * One number per slot, `empty` where nothing was set. Grows by doubling: a few bytes a message.
 * Non-negative slots and negative ones (MessageSlots) live in separate arrays.
 */
export class SlotColumn<A extends Numbers> {
  private planned: A;
  private others: A;

  constructor(
    private readonly make: (length: number) => A,
    readonly empty = 0,
  ) {
    this.planned = this.filled(0);
    this.others = this.filled(0);
  }

  get(slot: number): number {
    if (slot >= 0) return slot < this.planned.length ? this.planned[slot]! : this.empty;
    const k = ~slot;
    return k < this.others.length ? this.others[k]! : this.empty;
  }

  set(slot: number, value: number): void {
    if (slot >= 0) {
      if (slot >= this.planned.length) this.planned = this.grown(this.planned, slot);
      this.planned[slot] = value;
      return;
    }
    const k = ~slot;
    if (k >= this.others.length) this.others = this.grown(this.others, k);
    this.others[k] = value;
  }

  private grown(from: A, index: number): A {
    const to = this.filled(Math.max(1024, from.length * 2, index + 1));
    to.set(from as never);
    return to;
  }

  private filled(length: number): A {
    const array = this.make(length);
    if (this.empty !== 0) array.fill(this.empty);
    return array;
  }
}

/** A column per group (groups are few; messages are many). */
export class GroupColumns<A extends Numbers> {
  private readonly byGroup = new Map<string, SlotColumn<A>>();

  constructor(
    private readonly make: (length: number) => A,
    private readonly empty = 0,
  ) {}

  of(group: string): SlotColumn<A> {
    let column = this.byGroup.get(group);
    if (!column) {
      column = new SlotColumn(this.make, this.empty);
      this.byGroup.set(group, column);
    }
    return column;
  }
}

export const bytes = (length: number) => new Uint8Array(length);
export const int32s = (length: number) => new Int32Array(length);
export const float64s = (length: number) => new Float64Array(length);
