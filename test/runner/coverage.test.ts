import { describe, expect, it } from 'vitest';
import type { EventInput, HistoryEvent } from '../../core/events.ts';
import {
  CoverageCollector,
  caseCoverageSummary,
  coverageLine,
  faultsNeverDrawn,
  faultsNotDrawn,
} from '../../runner/coverage.ts';

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

describe('faults listed but not drawn', () => {
  const partition = (role?: string) => ({ kind: 'partition', atMs: 0, durationMs: 1, role, params: {} });
  const crash = { group: 0, atDelivery: 1, point: 'after-ack' };
  const workload = (faults: unknown[], crashes: unknown[] = []) => ({ faults, crashes }) as never;

  it('names, per case, the listed faults its workload never drew', () => {
    const listed = ['consumer-crash', 'partition', 'partition@store', 'latency@consumers'];
    expect(faultsNotDrawn(listed, workload([partition('consumers')], [crash]))).toEqual([
      'partition@store',
      'latency@consumers',
    ]);
    // A store partition does not stand in for a partition of the broker's links, nor the reverse.
    expect(faultsNotDrawn(['partition'], workload([partition('store')]))).toEqual(['partition']);
    expect(faultsNotDrawn(['partition@store'], workload([partition('all')]))).toEqual(['partition@store']);
    expect(
      faultsNotDrawn(['partition@store', 'consumer-crash'], workload([partition('store')], [crash])),
    ).toEqual([]);
    expect(faultsNotDrawn(['none'], workload([]))).toEqual([]);
  });

  it('the run line names a listed fault no case drew, and says nothing when every one was drawn', () => {
    const listed = ['consumer-crash', 'partition@store'];
    const cases = [
      { faults: listed, workload: workload([partition('all')], [crash]) },
      { faults: listed, workload: workload([], [crash]) },
    ];
    expect(faultsNeverDrawn(cases)).toEqual(['partition@store']);
    expect(coverageLine(cases)).toMatch(/listed but drawn in no case: partition@store \(raise --runs\)/);
    const drawn = [...cases, { faults: listed, workload: workload([partition('store')], [crash]) }];
    expect(faultsNeverDrawn(drawn)).toEqual([]);
    expect(coverageLine(drawn)).not.toMatch(/drawn in no case/);
  });
});
