import { describe, expect, it } from 'vitest';
import type { EventInput, HistoryEvent } from '../../core/events.ts';
import { CoverageCollector, caseCoverageSummary, coverageLine } from '../../runner/coverage.ts';

function collect(inputs: EventInput[]) {
  const c = new CoverageCollector();
  for (const [i, e] of inputs.entries()) c.add({ i, t: i * 1_000_000, ...e } as HistoryEvent);
  return c.result();
}

const fault = (
  type: 'invoke' | 'ok' | 'fail',
  action: 'start' | 'stop',
  extra: Record<string, unknown> = {},
) =>
  ({
    p: 'nemesis',
    type,
    f: 'fault',
    fault: 'partition',
    action,
    target: 'toxiproxy:nats-consumers',
    ...extra,
  }) as EventInput;
const deliver = (id: string) =>
  ({ p: 'consumer-0', type: 'ok', f: 'deliver', id, group: 'default', dest: 'q' }) as EventInput;

describe('fault coverage', () => {
  it('says how long a fault acted and what was redelivered after it', () => {
    const coverage = collect([
      deliver('a'),
      fault('invoke', 'start'),
      fault('ok', 'start'),
      deliver('a'),
      deliver('b'),
      fault('invoke', 'stop'),
      fault('ok', 'stop'),
      deliver('a'),
    ]);
    expect(coverage.faults).toEqual([
      expect.objectContaining({ fault: 'partition', status: 'fired', durationMs: 4_000, redeliveries: 2 }),
    ]);
  });

  it('tells a fault that failed to start from one that was never started', () => {
    const coverage = collect([
      fault('invoke', 'start'),
      fault('fail', 'start', { error: 'not running' }),
      fault('fail', 'start', { reason: 'cancelled' }),
    ]);
    expect(coverage.faults.map((f) => f.status)).toEqual(['failed', 'cancelled']);
    expect(caseCoverageSummary(coverage)).toBe(
      'partition on toxiproxy:nats-consumers failed (not running) · partition on toxiproxy:nats-consumers cancelled (cancelled)',
    );
  });

  it('counts crashes per crash point, fired and never fired', () => {
    const coverage = collect([
      { p: 'nemesis', type: 'info', f: 'crash', target: 'consumer-1', point: 'after-ack' } as EventInput,
      deliver('a'),
      deliver('a'),
      {
        p: 'nemesis',
        type: 'fail',
        f: 'crash',
        target: 'default',
        point: 'before-process',
        reason: 'cancelled',
      } as EventInput,
    ]);
    expect(coverage.crashes).toEqual([
      { point: 'after-ack', fired: 1, cancelled: 0, redeliveries: 1 },
      { point: 'before-process', fired: 0, cancelled: 1, redeliveries: 0 },
    ]);
    expect(coverageLine([{ coverage }, { coverage: undefined }])).toBe(
      '2 cases, 1 crash fired at 1 crash point, 1 redeliveries after faults, 1 fault skipped',
    );
  });

  it('summarises a run: crash points, fault durations, nothing skipped', () => {
    const one = collect([
      { p: 'nemesis', type: 'info', f: 'crash', target: 'consumer-0', point: 'before-process' } as EventInput,
      fault('invoke', 'start'),
      fault('ok', 'start'),
      fault('invoke', 'stop'),
      fault('ok', 'stop'),
    ]);
    const two = collect([
      { p: 'nemesis', type: 'info', f: 'crash', target: 'consumer-0', point: 'after-process' } as EventInput,
      fault('invoke', 'start'),
      fault('ok', 'start'),
      deliver('x'),
      deliver('y'),
      deliver('z'),
      fault('invoke', 'stop'),
      fault('ok', 'stop'),
    ]);
    expect(coverageLine([{ coverage: one }, { coverage: two }])).toBe(
      '2 cases, 2 crashes fired at 2 crash points, 2× partition 2.0–5.0 s, 0 redeliveries after faults, 0 faults skipped',
    );
  });
});
