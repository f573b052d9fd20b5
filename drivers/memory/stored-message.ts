/** A message as the memory broker stores it. */
export interface StoredMessage {
  id: string;
  key: string | undefined;
  poison: boolean;
  payload: Uint8Array;
  /** Deliveries so far (queues count per queue copy). */
  deliveryCount: number;
  /** Set on the copy in a dead-letter queue: deliveries of the original before it was dead-lettered. */
  deadLetteredAfter?: number;
}

/** Tracks timers so a topology can cancel every pending one when it is disposed. */
export class TimerSet {
  private readonly timers = new Set<NodeJS.Timeout>();
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
  get pending(): number {
    return this.timers.size;
  }
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
