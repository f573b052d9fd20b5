import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAULT_GAP_MS, faultTargets, LOAD_TAIL_MS, placeFaults } from '../../faults/fault-placement.ts';
import { rotateCrashPoints } from '../../runner/explore.ts';
import { DEFAULT_SHAPE, faultDurationRange, workloadArbitrary } from '../../scenarios/kit/arbitraries.ts';
import { CRASH_POINTS } from '../../scenarios/scenario.ts';

const overlaps = (a: { atMs: number; durationMs: number }, b: { atMs: number; durationMs: number }) =>
  a.atMs < b.atMs + b.durationMs && b.atMs < a.atMs + a.durationMs;

describe('fault placement', () => {
  it('never puts two faults on one target at once, and ends every fault inside the load', () => {
    const options = {
      faults: new Set(['partition', 'latency@consumers', 'broker-kill', 'broker-pause', 'producer-crash']),
      networkRoles: ['all', 'producers', 'consumers'] as const,
      silenceTimeoutMs: 6_000,
    };
    fc.assert(
      fc.property(workloadArbitrary({ ...DEFAULT_SHAPE, maxFaults: 6 }, options), (w) => {
        for (const [i, a] of w.faults.entries()) {
          expect(a.atMs + a.durationMs + LOAD_TAIL_MS).toBeLessThanOrEqual(w.loadMs);
          for (const b of w.faults.slice(i + 1)) {
            const shared = faultTargets(a).some((t) => faultTargets(b).includes(t));
            if (shared) expect(overlaps(a, b)).toBe(false);
          }
        }
        // Producers are paced over the whole load.
        expect(w.sendIntervalMs * Math.ceil(w.messages / w.producers)).toBeCloseTo(w.loadMs, 3);
      }),
      { numRuns: 300 },
    );
  });

  it('serialises two faults drawn on the same target, one healed before the next', () => {
    const draw = { stream: 'both' as const, role: 'all' as const, params: {} };
    const { plans, loadMs } = placeFaults(
      [
        { ...draw, kind: 'broker-kill', at: 0.1, durationMs: 5_000 },
        { ...draw, kind: 'broker-pause', at: 0.2, durationMs: 1_000 },
      ],
      4_000,
    );
    expect(plans[0]!.atMs).toBe(400);
    expect(plans[1]!.atMs).toBe(400 + 5_000 + FAULT_GAP_MS);
    expect(loadMs).toBe(plans[1]!.atMs + 1_000 + LOAD_TAIL_MS);
  });

  it('lets faults on different roles overlap, but not one on all links with one on a role', () => {
    const draw = { stream: 'both' as const, params: {}, durationMs: 2_000 };
    const { plans } = placeFaults(
      [
        { ...draw, kind: 'partition', role: 'consumers', at: 0 },
        { ...draw, kind: 'latency', role: 'producers', at: 0 },
        { ...draw, kind: 'partition', role: 'all', at: 0 },
      ],
      10_000,
    );
    expect(plans[0]!.atMs).toBe(0);
    expect(plans[1]!.atMs).toBe(0);
    expect(plans[2]!.atMs).toBe(2_000 + FAULT_GAP_MS);
  });

  it('draws fault durations well past the broker timeout for a silent client', () => {
    const range = faultDurationRange(6_000);
    expect(range.max).toBeGreaterThanOrEqual(15_000);
    const w = fc.sample(
      workloadArbitrary(DEFAULT_SHAPE, { faults: new Set(['partition']), silenceTimeoutMs: 6_000 }),
      { numRuns: 200, seed: 1 },
    );
    const long = w.flatMap((x) => x.faults).filter((f) => f.durationMs > 6_000);
    expect(long.length).toBeGreaterThan(50);
  });

  it('draws hundreds to thousands of messages, not fast-check’s tiny first values', () => {
    const sizes = fc
      .sample(workloadArbitrary(DEFAULT_SHAPE, { faults: new Set(['consumer-crash']) }), {
        numRuns: 50,
        seed: 31,
      })
      .map((w) => w.messages);
    expect(sizes.filter((n) => n >= 100).length).toBeGreaterThanOrEqual(40);
  });

  it('plans at least one consumer crash per case, at a delivery the busiest consumer will reach', () => {
    fc.assert(
      fc.property(workloadArbitrary(DEFAULT_SHAPE, { faults: new Set(['consumer-crash']) }), (w) => {
        expect(w.crashes.length).toBeGreaterThanOrEqual(1);
        for (const c of w.crashes)
          expect(c.atDelivery).toBeLessThanOrEqual(Math.ceil(w.messages / w.consumersPerGroup));
      }),
      { numRuns: 200 },
    );
  });

  it('cycles crash points so that three cases cover each once', () => {
    const [w] = fc.sample(workloadArbitrary(DEFAULT_SHAPE, { faults: new Set(['consumer-crash']) }), {
      numRuns: 1,
      seed: 4,
    });
    const firstPoints = [0, 1, 2].map((k) => rotateCrashPoints(w!, CRASH_POINTS, k).crashes[0]!.point);
    expect(new Set(firstPoints)).toEqual(new Set(CRASH_POINTS));
  });
});
