import { ownString } from '../core/scanned-event.ts';

/** An Int32 column that grows as messages are discovered; unset slots read as `fill`. */
export class Int32Column {
  data: Int32Array;
  constructor(
    private readonly fill: number,
    capacity = 1024,
  ) {
    this.data = new Int32Array(capacity).fill(fill);
  }
  ensure(size: number): void {
    if (size <= this.data.length) return;
    let capacity = this.data.length * 2;
    while (capacity < size) capacity *= 2;
    const next = new Int32Array(capacity);
    next.set(this.data);
    // A new array is zeros already: only the slots past the old ones need another fill.
    if (this.fill !== 0) next.fill(this.fill, this.data.length);
    this.data = next;
  }
}

/** Interns strings (destinations, keys, processes) as small integers. */
export class Interner {
  private readonly ids = new Map<string, number>();
  readonly values: string[] = [];
  // Consecutive calls mostly repeat a value (one destination for every message): no map lookup.
  private last: string | undefined;
  private lastId = -1;
  intern(value: string): number {
    if (value === this.last) return this.lastId;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      const own = ownString(value);
      this.ids.set(own, id);
      this.values.push(own);
    }
    this.last = value;
    this.lastId = id;
    return id;
  }
}
