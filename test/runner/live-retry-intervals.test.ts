import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetryIntervals } from '../../checker/retry-intervals.ts';
import type { HistoryEvent } from '../../core/events.ts';
import { LiveRetryIntervals } from '../../runner/live-retry-intervals.ts';

/**
 * Deliveries, acks and nacks (some with a backoff) of a few messages in a few groups by two consumers
 * that crash now and then, times increasing.
 */
const history = fc
  .array(
    fc.record({
      f: fc.constantFrom('deliver', 'deliver', 'nack', 'ack', 'crash'),
      type: fc.constantFrom('invoke', 'ok'),
      p: fc.constantFrom('consumer-0', 'consumer-1'),
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
      if (s.f === 'crash')
        return { i, t, p: 'nemesis', type: 'info', f: 'crash', target: s.p } as HistoryEvent;
      return {
        i,
        t,
        p: s.p,
        type: s.f === 'ack' ? s.type : 'ok',
        f: s.f,
        id: s.id,
        ...(s.group !== undefined && { group: s.group }),
        ...(s.f === 'nack' && s.delayMs !== undefined && { delayMs: s.delayMs }),
      } as HistoryEvent;
    });
  });

/** One event per step, 10 ms apart, all of message m1: [process, f, extra fields]. */
type Step = [p: string, f: string, extra?: Partial<HistoryEvent>];
const events = (steps: Step[]) =>
  steps.map(
    ([p, f, extra], i) => ({ i, t: i * 10_000, p, type: 'ok', f, id: 'm1', ...extra }) as HistoryEvent,
  );
const crash = (target: string): Step => [
  'nemesis',
  'crash',
  { type: 'info', target } as Partial<HistoryEvent>,
];

/** [title, steps, per attempt: [afterDelivery, samples, intendedMs]] */
const answered: [string, Step[], unknown[][]][] = [
  [
    'in order: each backoff goes with the interval after the delivery it answered',
    [
      ['consumer-3', 'deliver'],
      ['consumer-3', 'nack', { delayMs: 10 }],
      ['consumer-2', 'deliver'],
      ['consumer-2', 'nack', { delayMs: 20 }],
      ['consumer-2', 'deliver'],
    ],
    [
      [1, 1, 10],
      [2, 1, 20],
    ],
  ],
  [
    // Seen on RabbitMQ: the copy in a 10 ms TTL retry queue was delivered to consumer-2 before
    // consumer-3, waiting for the copy's publish confirm, recorded its nack.
    'a nack recorded after another consumer already got the copy answers the earlier delivery',
    [
      ['consumer-3', 'deliver'],
      ['consumer-2', 'deliver'],
      ['consumer-3', 'nack', { delayMs: 10 }],
      ['consumer-2', 'nack', { delayMs: 20 }],
      ['consumer-1', 'deliver'],
    ],
    [
      [1, 1, 10],
      [2, 1, 20],
    ],
  ],
  [
    'the same consumer getting the copy first still answers its deliveries in order',
    [
      ['consumer-3', 'deliver'],
      ['consumer-3', 'deliver'],
      ['consumer-3', 'nack', { delayMs: 10 }],
      ['consumer-3', 'nack', { delayMs: 20 }],
      ['consumer-3', 'deliver'],
    ],
    [
      [1, 1, 10],
      [2, 1, 20],
    ],
  ],
  [
    'a restarted consumer’s nack answers its new delivery, not the one its crashed self left',
    [
      ['consumer-3', 'deliver'],
      crash('consumer-3'),
      ['consumer-3', 'deliver'],
      ['consumer-3', 'nack', { delayMs: 20 }],
      ['consumer-3', 'deliver'],
    ],
    [
      [1, 1, undefined],
      [2, 1, 20],
    ],
  ],
  [
    'an ack answers a delivery too: a later nack of the duplicate is the duplicate’s',
    [
      ['consumer-3', 'deliver'],
      ['consumer-3', 'deliver'],
      ['consumer-3', 'ack', { type: 'invoke' }],
      ['consumer-3', 'ack', { type: 'ok' }],
      ['consumer-3', 'nack', { delayMs: 20 }],
      ['consumer-3', 'deliver'],
    ],
    [
      [1, 1, undefined],
      [2, 1, 20],
    ],
  ],
];

describe.each([
  ['RetryIntervals', () => new RetryIntervals()],
  ['LiveRetryIntervals', () => new LiveRetryIntervals()],
])('%s: a nack’s backoff belongs to the delivery it answers', (_, make) => {
  it.each(answered)('%s', (_title, steps, expected) => {
    const intervals = make();
    for (const e of events(steps)) intervals.add(e);
    expect(intervals.result().map((a) => [a.afterDelivery, a.samples, a.intendedMs])).toEqual(expected);
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
