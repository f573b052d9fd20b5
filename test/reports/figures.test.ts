import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/events.ts';
import {
  histogramPercentile,
  latencyFigures,
  mergeHistograms,
  nearestRank,
} from '../../reports/figures/latency.ts';
import { computeFigures } from '../../reports/figures/pass.ts';

/** Histories with times in ms (converted to the history's µs). */
class Timed {
  readonly events: HistoryEvent[] = [];
  add(ms: number, event: Record<string, unknown>): this {
    this.events.push({
      i: this.events.length,
      t: Math.round(ms * 1000),
      p: 'producer-0',
      ...event,
    } as HistoryEvent);
    return this;
  }
  invoke(ms: number, id: string) {
    return this.add(ms, { type: 'invoke', f: 'send', id, dest: 'q' });
  }
  sent(ms: number, id: string, type: 'ok' | 'info' | 'fail' = 'ok') {
    return this.add(ms, { type, f: 'send', id, dest: 'q' });
  }
  deliver(ms: number, id: string) {
    return this.add(ms, { p: 'consumer-0', type: 'ok', f: 'deliver', id, dest: 'q', group: 'default' });
  }
  process(ms: number, id: string) {
    return this.add(ms, { p: 'consumer-0', type: 'ok', f: 'process', id, group: 'default' });
  }
  fault(ms: number, action: 'start' | 'stop') {
    return this.add(ms, {
      p: 'nemesis',
      type: 'ok',
      f: 'fault',
      fault: 'partition',
      action,
      target: 'consumers',
    });
  }
  /** A message sent at `ms`: ok 1 ms later, delivered after 5 ms, processed after 10 ms. */
  message(ms: number, id: string) {
    return this.invoke(ms, id)
      .sent(ms + 1, id)
      .deliver(ms + 5, id)
      .process(ms + 10, id);
  }
}

/** Steady traffic every 50 ms until 450 ms, then a partition from 500 ms to 1500 ms. */
function partitionedHistory(): Timed {
  const h = new Timed().add(0, { p: 'harness', type: 'ok', f: 'phase', phase: 'load' });
  for (let k = 0; k < 10; k++) h.message(k * 50, `m${k}`);
  h.fault(500, 'start');
  // Every send during the partition times out.
  for (let k = 0; k < 10; k++) h.invoke(500 + k * 100, `x${k}`).sent(590 + k * 100, `x${k}`, 'info');
  h.fault(1500, 'stop');
  h.invoke(1500, 'after').sent(1520, 'after').deliver(1550, 'after').process(1560, 'after');
  h.add(1700, { p: 'nemesis', type: 'info', f: 'crash', target: 'consumer-0', point: 'before-process' });
  h.invoke(1700, 'late').sent(1702, 'late').deliver(1730, 'late').process(1740, 'late');
  return h;
}

describe('figures: recovery after a known fault interval', () => {
  const figures = computeFigures(partitionedHistory().events);

  it('measures heal → first successful send and heal → first delivery', () => {
    expect(figures.faults[0]).toEqual({
      kind: 'fault',
      label: 'partition on consumers',
      startMs: 500,
      healedAtMs: 1500,
      firstSendOkAfterMs: 20,
      firstDeliveryAfterMs: 50,
    });
  });

  it('treats a crash as an instant fault healed when it fired', () => {
    expect(figures.faults[1]).toMatchObject({
      kind: 'crash',
      label: 'crash consumer-0 (before-process)',
      healedAtMs: 1700,
      firstSendOkAfterMs: 2,
      firstDeliveryAfterMs: 30,
    });
  });

  it('finds the span with no successful send while sends waited, and no delivery window', () => {
    expect(figures.unavailability.sends).toEqual([
      { fromMs: 500, toMs: 1520, durationMs: 1020, open: false },
    ]);
    expect(figures.unavailability.longestSendGapMs).toBe(1020);
    // Nothing acknowledged waited for a delivery during the partition.
    expect(figures.unavailability.deliveries).toEqual([]);
  });

  it('counts sends and deliveries per 100 ms', () => {
    expect(figures.throughput.bucketMs).toBe(100);
    expect(figures.throughput.sendOk.slice(0, 5)).toEqual([2, 2, 2, 2, 2]);
    expect(figures.throughput.sendInfo[5]).toBe(1);
    expect(figures.throughput.sendOk[15]).toBe(1);
    expect(figures.totals).toEqual({ sendOk: 12, sendInfo: 10, sendFail: 0, deliveries: 12, processed: 12 });
  });

  it('measures latency from send invoke to first process', () => {
    expect(figures.latency.count).toBe(12);
    expect(figures.latency.p50).toBe(10);
    expect(figures.latency.max).toBe(60);
    expect(figures.latency.samples).toHaveLength(12);
  });
});

describe('figures: unavailability of deliveries', () => {
  it('opens a window when acknowledged messages wait for a delivery, and keeps it open to the end', () => {
    const h = new Timed();
    h.message(0, 'a');
    // Acknowledged at 101, never delivered; the history ends at 900.
    h.invoke(100, 'lost').sent(101, 'lost');
    h.add(900, { p: 'harness', type: 'ok', f: 'phase', phase: 'teardown' });
    const figures = computeFigures(h.events);
    expect(figures.unavailability.deliveries).toEqual([
      { fromMs: 101, toMs: 900, durationMs: 799, open: true },
    ]);
  });

  it('ignores gaps shorter than ten typical gaps (a paced producer is not unavailable)', () => {
    const h = new Timed();
    for (let k = 0; k < 20; k++) h.message(k * 300, `m${k}`);
    const figures = computeFigures(h.events);
    expect(figures.unavailability.thresholdMs.sends).toBe(3000);
    expect(figures.unavailability.sends).toEqual([]);
  });

  it('gives a fault without a stop event the heal phase as its heal', () => {
    const h = new Timed().fault(100, 'start');
    h.add(400, { p: 'harness', type: 'ok', f: 'phase', phase: 'heal' });
    h.message(450, 'a');
    const figures = computeFigures(h.events);
    expect(figures.faults[0]).toMatchObject({
      healedAtMs: 400,
      firstSendOkAfterMs: 51,
      firstDeliveryAfterMs: 55,
    });
  });
});

describe('figures: latency statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, k) => k + 1);
    expect(nearestRank(sorted, 0.5)).toBe(50);
    expect(nearestRank(sorted, 0.99)).toBe(99);
  });

  it('merges histograms whose percentiles stay within 10 %', () => {
    const a = computeFigures(new Timed().message(0, 'a').message(10, 'b').events).latency.histogram;
    const slow = new Timed().invoke(0, 'c').sent(1, 'c').process(1000, 'c');
    const b = computeFigures(slow.events).latency.histogram;
    const merged = mergeHistograms([a, b]);
    const p50 = histogramPercentile(merged, 0.5)!;
    const max = histogramPercentile(merged, 1)!;
    expect(p50).toBeGreaterThanOrEqual(10);
    expect(p50).toBeLessThanOrEqual(11);
    expect(max).toBeGreaterThanOrEqual(1000);
    expect(max).toBeLessThanOrEqual(1100);
  });

  it('samples at most 500 points and keeps the slowest', () => {
    const h = new Timed();
    for (let k = 0; k < 5000; k++) h.invoke(k, `m${k}`).process(k + (k === 4321 ? 999 : 1), `m${k}`);
    const l = computeFigures(h.events).latency;
    expect(l.count).toBe(5000);
    expect(l.samples.length).toBeLessThanOrEqual(500);
    expect(l.samples.some(([, ms]) => ms === 999)).toBe(true);
  });

  it('samples as sorting every point by latency would: the 25 slowest (ties: earliest), then evenly', () => {
    // A sort of every point (the reference: what the report did at 10^6 points too).
    const reference = (latency: number[]) => {
      const keep = new Set(
        latency
          .map((ms, k) => [ms, k] as const)
          .sort((a, b) => b[0] - a[0])
          .slice(0, 25)
          .map(([, k]) => k),
      );
      const stride = latency.length / 475;
      for (let x = 0; keep.size < 500 && x < latency.length; x += stride) keep.add(Math.floor(x));
      return [...keep].sort((a, b) => a - b);
    };
    for (const ties of [0, 3, 40]) {
      // Many points tie at the slowest latency but a few: which of them are kept is decided by order.
      const latency = Array.from({ length: 3001 }, (_, k) => (k % 97 === 7 && k < 97 * ties ? 50 : k % 7));
      for (const k of [5, 900, 1200, 2999, 17, 18, 19, 2000]) latency[k] = 60 + (k % 5);
      const at = latency.map((_, k) => k);
      const sampled = latencyFigures(at, latency).samples.map(([k]) => k);
      expect(sampled, `${ties} ties`).toEqual(reference(latency));
    }
  });
});
