/**
 * A queue with O(1) amortised shift and unshift. An array's shift copies the whole array once its
 * backing store is large (V8 cannot trim a large object in place): a memory queue with a backlog of
 * 10^6 messages delivered a few hundred a second.
 */
export class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Drop the consumed front once it is most of the array (each item is copied O(1) times).
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  unshift(item: T): void {
    if (this.head === 0) {
      // Room at the front in proportion to the length, so unshifts too cost O(1) amortised.
      const room = Math.max(1024, this.items.length >> 1);
      const items: (T | undefined)[] = new Array(room + this.items.length);
      for (let k = 0; k < this.items.length; k++) items[room + k] = this.items[k];
      this.items = items;
      this.head = room;
    }
    this.items[--this.head] = item;
  }
}
