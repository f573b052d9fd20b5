/**
 * `performance.now()` counts on the same monotonic clock as `process.hrtime` from this process's
 * start; this offset puts it on the machine's time line. Read once: `performance.now()` costs about
 * half of `hrtime.bigint()`, which is read for every event. The pair read closest together wins,
 * so the offset is off by well under a microsecond.
 */
const MONOTONIC_OFFSET_MS = (() => {
  let best = { width: Number.POSITIVE_INFINITY, offset: 0 };
  for (let k = 0; k < 5; k++) {
    const before = process.hrtime.bigint();
    const now = performance.now();
    const after = process.hrtime.bigint();
    const width = Number(after - before);
    if (width < best.width) best = { width, offset: Number(before + after) / 2e6 - now };
  }
  return best.offset;
})();

/**
 * Microseconds since a case started. Built on the machine's monotonic clock, so that separate
 * processes given the same epoch agree; `now()` never goes backwards within one clock.
 */
export class CaseClock {
  private last = 0;
  constructor(readonly epochMs: number = CaseClock.wallMs()) {}

  /**
   * Milliseconds on the machine's monotonic clock (CLOCK_MONOTONIC), which every process of the
   * machine reads alike: consumer workers stamp events on the same time line as the runner. (Each
   * process's `performance.timeOrigin` is its own estimate of wall time at its start; processes
   * disagreed by a few ms, enough to put a dead-letter before the delivery that caused it.)
   */
  static wallMs(): number {
    return performance.now() + MONOTONIC_OFFSET_MS;
  }

  nowMicros(): number {
    const t = Math.max(this.last, Math.round((CaseClock.wallMs() - this.epochMs) * 1000));
    this.last = t;
    return t;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // No timer for "no wait": a zero-delay timer still costs a turn of the timer queue.
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', done);
      clearTimeout(timer);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
