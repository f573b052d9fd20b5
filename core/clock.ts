import { performance } from 'node:perf_hooks';

/**
 * Microseconds since a case started. Built on the high-resolution wall clock (`timeOrigin + now()`)
 * so that separate processes given the same epoch agree to within scheduling noise; `now()` never
 * goes backwards within one clock.
 */
export class CaseClock {
  private last = 0;
  constructor(readonly epochMs: number = CaseClock.wallMs()) {}

  static wallMs(): number {
    return performance.timeOrigin + performance.now();
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
