import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetryIntervals } from '../../checker/retry-intervals.ts';
import type { HistoryEvent } from '../../core/events.ts';
import { LiveRetryIntervals } from '../../runner/live-retry-intervals.ts';

/** Deliveries and nacks (some with a backoff) of a few messages in a few groups, times increasing. */
const history = fc
  .array(
    fc.record({
      f: fc.constantFrom('deliver', 'deliver', 'nack', 'ack'),
      id: fc.oneof(
        fc.nat(6).map((n) => `m${n}`),
        fc.constantFrom('order-1', 'x'),
      ),
      group: fc.option(fc.constantFrom('g0', 'g1'), { nil: undefined }),
      gap: fc.nat(5000),
      delayMs: fc.option(fc.nat(2000), { nil: undefined }),
    }),
    { maxLength: 150 },
  )
  .map((steps) => {
    let t = 0;
    return steps.map((s, i) => {
      t += s.gap;
      return {
        i,
        t,
        p: 'consumer-0',
        type: 'ok',
        f: s.f,
        id: s.id,
        ...(s.group !== undefined && { group: s.group }),
        ...(s.f === 'nack' && s.delayMs !== undefined && { delayMs: s.delayMs }),
      } as HistoryEvent;
    });
  });

describe('LiveRetryIntervals (retry intervals folded live, in typed arrays)', () => {
  it('gives what the checker’s RetryIntervals gives for the same history', () => {
    fc.assert(
      fc.property(history, (events) => {
        const live = new LiveRetryIntervals();
        const reference = new RetryIntervals();
        for (const e of events) {
          live.add(e);
          reference.add(e);
        }
        expect(live.result()).toEqual(reference.result());
      }),
      { numRuns: 300 },
    );
  });

  it('summarises 200 000 intervals of one attempt (spread into Math.min, that many overflow the stack)', () => {
    const live = new LiveRetryIntervals();
    let i = 0;
    for (let n = 0; n < 200_000; n++) {
      for (const t of [n * 10, n * 10 + 4])
        live.add({ i: i++, t: t * 1000, p: 'c', type: 'ok', f: 'deliver', id: `m${n}` } as HistoryEvent);
    }
    expect(live.result()).toEqual([
      { afterDelivery: 1, samples: 200_000, intendedMs: undefined, minMs: 4, meanMs: 4, maxMs: 4 },
    ]);
  });
});
