import { describe, expect, it } from 'vitest';
import { check } from '../../checker/check.ts';
import type { HistoryEvent } from '../../core/events.ts';
import type { AnomalyKind, Claim } from '../../core/guarantee.ts';
import {
  eventSourcingChecker,
  type StaleReadMeasurement,
} from '../../scenarios/kit/event-sourcing/checker.ts';
import { type EsHistoryBuilder, esHistory } from '../helpers/es-history-builder.ts';

const base: Claim = { delivery: 'at-least-once', ordering: 'none' };
const strict: Claim = { ...base, concurrency: 'optimistic', projection: 'exactly-once' };
const judge = (events: HistoryEvent[], claim: Claim = strict) =>
  check(events, { claim, families: [eventSourcingChecker] });

/** Two events on s1, both applied by `proj` in order. */
const twoEvents = () =>
  esHistory().appended('e1', 's1', 1).appended('e2', 's1', 2).apply('e1', 's1', 1).apply('e2', 's1', 2);

/** The read-backs: `proj` holds s1 at (version, digest), the store replays it to (replayed, its digest). */
function readBacks(h: EsHistoryBuilder, version = 2, digest = 'd2', replayed = 2, replayDigest = 'd2') {
  h.readBack('proj', 1).state('proj', 's1', version, digest);
  return h.readBack('replay', 1).state('replay', 's1', replayed, replayDigest).events;
}

const anomaly = (r: ReturnType<typeof judge>, kind: AnomalyKind) => r.anomalies.find((a) => a.kind === kind);

describe('event sourcing: a clean history', () => {
  it('holds, with the store and the projection judged as groups of their own', () => {
    const r = judge(readBacks(twoEvents().query('reader-0', 'proj', 's1', 2)));
    expect(r.valid).toBe(true);
    expect(r.violations).toEqual([]);
    expect(r.reasons).toEqual([]);
    expect(Object.keys(r.groups)).toEqual(expect.arrayContaining(['store', 'proj']));
    for (const kind of eventSourcingChecker.kinds)
      expect({ kind, n: r.counts[kind] }).toEqual({ kind, n: 0 });
  });
});

describe('the event store', () => {
  it('forked: two events acknowledged at the same version of a stream', () => {
    const h = esHistory().appendInvoke('e1', 's1', 0, 'writer-0').appendInvoke('e2', 's1', 0, 'writer-1');
    const first = h.next;
    h.appendOk('e1', 's1', 1, 'writer-0');
    const second = h.next;
    h.appendOk('e2', 's1', 1, 'writer-1');
    for (const claim of [strict, { ...base, concurrency: 'single-writer' as const }]) {
      const r = judge(h.events, claim);
      expect(r.counts.forked).toBe(1);
      expect(r.valid).toBe(false);
      expect(anomaly(r, 'forked')).toMatchObject({ id: 's1@1', group: 'store', events: [first, second] });
      expect(anomaly(r, 'forked')?.detail).toMatch(/version 1 of s1 .* e1 and e2/);
    }
  });

  it('not forked: one event acknowledged twice at its version (a retry), or two versions', () => {
    const h = esHistory().appended('e1', 's1', 1).appended('e1', 's1', 1).appended('e2', 's1', 2);
    expect(judge(h.events, base).counts.forked).toBe(0);
  });

  it('expectationIgnored: acknowledged at a version other than expected + 1', () => {
    const h = esHistory().appended('e1', 's1', 1);
    const invoke = h.next;
    h.appendInvoke('e2', 's1', 0, 'writer-1').appendOk('e2', 's1', 2, 'writer-1');
    const r = judge(h.events);
    expect(r.counts.expectationIgnored).toBe(1);
    expect(r.valid).toBe(false);
    expect(anomaly(r, 'expectationIgnored')).toMatchObject({ id: 'e2', events: [invoke, invoke + 1] });
    expect(anomaly(r, 'expectationIgnored')?.detail).toMatch(/expecting version 0 .* at version 2, not 1/);
  });

  it('expectationIgnored is reported but allowed under single-writer streams', () => {
    const h = esHistory().appended('e1', 's1', 1).appended('e2', 's1', 2, { expected: 0 });
    const r = judge(h.events, { ...base, concurrency: 'single-writer' });
    expect(r.counts.expectationIgnored).toBe(1);
    expect(r.valid).toBe(true);
  });

  it('not expectationIgnored: "any", a conflict refused, or expectation met', () => {
    const h = esHistory()
      .appended('e1', 's1', 1)
      .appended('e2', 's1', 2, { expected: 'any' })
      .appendInvoke('e3', 's1', 0)
      .appendFail('e3', 's1')
      .appended('e4', 's1', 3);
    expect(judge(h.events).counts.expectationIgnored).toBe(0);
  });

  it('an expectation is that of the completion’s own invoke (same process and event)', () => {
    // writer-1's retry of e2 expects 1; its first attempt (expecting 0) timed out.
    const h = esHistory()
      .appended('e1', 's1', 1)
      .appendInvoke('e2', 's1', 0, 'writer-1')
      .appendInfo('e2', 's1', 'writer-1')
      .appendInvoke('e2', 's1', 1, 'writer-1')
      .appendOk('e2', 's1', 2, 'writer-1');
    expect(judge(h.events).counts.expectationIgnored).toBe(0);
  });
});

describe('projections', () => {
  it('projectionLost: acknowledged, never applied (unknown while the drain was cut off)', () => {
    const h = esHistory().appended('e1', 's1', 1);
    const ack = h.next;
    h.appended('e2', 's1', 2).apply('e1', 's1', 1);
    const r = judge(readBacks(h));
    expect(r.counts.projectionLost).toBe(1);
    expect(r.valid).toBe(false);
    expect(anomaly(r, 'projectionLost')).toMatchObject({ id: 'e2', group: 'proj', events: [ack + 1] });
    const cut = esHistory().appended('e1', 's1', 1).appended('e2', 's1', 2).apply('e1', 's1', 1);
    cut.add({ p: 'harness', type: 'ok', f: 'phase', phase: 'drain', cutOff: true });
    expect(judge(readBacks(cut)).valid).toBe('unknown');
  });

  it('projectionPhantom: applied, though its append failed or was never made', () => {
    const h = esHistory().appended('e1', 's1', 1).appendInvoke('e2', 's1', 0).appendFail('e2', 's1');
    const apply = h.next;
    h.apply('e1', 's1', 1).apply('e2', 's1', 2).apply('e9', 's2', 1);
    const r = judge(h.events, base);
    expect(r.counts.projectionPhantom).toBe(2);
    expect(anomaly(r, 'projectionPhantom')).toMatchObject({ id: 'e2', events: [3, apply + 1] });
    expect(judge(h.events, { ...base, projection: 'at-least-once' }).violations).toContain(
      'projectionPhantom',
    );
  });

  it('not projectionPhantom: an event whose append outcome is unknown, or never completed', () => {
    const h = esHistory()
      .appendInvoke('e1', 's1', 0)
      .appendInfo('e1', 's1')
      .appendInvoke('e2', 's1', 1)
      .apply('e1', 's1', 1)
      .apply('e2', 's1', 2);
    expect(judge(h.events, base).counts.projectionPhantom).toBe(0);
  });

  it('projectionDuplicated: applied twice; forbidden under exactly-once, allowed at least once', () => {
    const h = twoEvents();
    const again = h.next;
    h.apply('e2', 's1', 2);
    const events = readBacks(h);
    const r = judge(events);
    expect(r.counts.projectionDuplicated).toBe(1);
    expect(r.valid).toBe(false);
    expect(anomaly(r, 'projectionDuplicated')).toMatchObject({ id: 'e2', events: [again - 1, again] });
    expect(judge(events, { ...strict, projection: 'at-least-once' }).valid).toBe(true);
    expect(judge(events, { ...strict, projection: 'idempotent-by-version' }).valid).toBe(false);
  });

  it('projectionReordered: first applied after a later version of its stream', () => {
    const h = esHistory().appended('e1', 's1', 1).appended('e2', 's1', 2);
    const later = h.next;
    h.apply('e2', 's1', 2).apply('e1', 's1', 1);
    const events = readBacks(h);
    const r = judge(events);
    expect(r.counts.projectionReordered).toBe(1);
    expect(anomaly(r, 'projectionReordered')).toMatchObject({ id: 'e1', events: [later, later + 1] });
    expect(r.valid).toBe(false);
    expect(judge(events, { ...strict, projection: 'at-least-once' }).valid).toBe(true);
  });

  it('not projectionReordered: a duplicate of an earlier version, or another stream in between', () => {
    const h = esHistory()
      .appended('e1', 's1', 1)
      .appended('e2', 's1', 2)
      .appended('f1', 's2', 1)
      .apply('f1', 's2', 1)
      .apply('e1', 's1', 1)
      .apply('e2', 's1', 2)
      .apply('e1', 's1', 1);
    expect(judge(h.events, base).counts.projectionReordered).toBe(0);
  });

  it('readModelDiverged: below the highest acknowledged version, or a stream missing', () => {
    const r = judge(readBacks(twoEvents(), 1, 'd1', 1, 'd1'));
    expect(r.counts.readModelDiverged).toBe(1);
    expect(anomaly(r, 'readModelDiverged')?.detail).toMatch(/version 1, below version 2 acknowledged/);
    expect(r.valid).toBe(false);
    const missing = twoEvents().readBack('proj', 0).readBack('replay', 1).state('replay', 's1', 2, 'd2');
    expect(judge(missing.events).counts.readModelDiverged).toBe(1);
  });

  it('readModelDiverged: a digest unlike the replay’s at the same version', () => {
    const r = judge(readBacks(twoEvents(), 2, 'dX', 2, 'd2'));
    expect(r.counts.readModelDiverged).toBe(1);
    expect(anomaly(r, 'readModelDiverged')?.detail).toMatch(/as dX, but replaying the store gives d2/);
  });

  it('readModelDiverged: behind what the store holds, though beyond every acknowledged version', () => {
    // e3's append timed out but landed: the store replays s1 to version 3.
    const h = twoEvents().appendInvoke('e3', 's1', 2).appendInfo('e3', 's1');
    const r = judge(readBacks(h, 2, 'd2', 3, 'd3'));
    expect(r.counts.readModelDiverged).toBe(1);
    expect(anomaly(r, 'readModelDiverged')?.detail).toMatch(/replays it to version 3/);
  });

  it('not readModelDiverged: the same version and digest as the replay', () => {
    expect(judge(readBacks(twoEvents())).counts.readModelDiverged).toBe(0);
  });

  it('nonMonotonicRead: a process shown an older version than it was shown before', () => {
    const h = twoEvents();
    const newer = h.next + 1;
    h.query('reader-0', 'proj', 's1', 2).query('reader-0', 'proj', 's1', 1);
    const r = judge(readBacks(h));
    expect(r.counts.nonMonotonicRead).toBe(1);
    expect(anomaly(r, 'nonMonotonicRead')).toMatchObject({ id: 's1', events: [newer, newer + 2] });
    expect(r.valid).toBe(false);
    expect(judge(readBacks(h), { ...base, concurrency: 'optimistic' }).valid).toBe(true);
  });

  it('not nonMonotonicRead: another process shown an older version, or another stream', () => {
    const h = twoEvents()
      .query('reader-0', 'proj', 's1', 2)
      .query('reader-1', 'proj', 's1', 1)
      .query('reader-0', 'proj', 's2', 0);
    expect(judge(readBacks(h)).counts.nonMonotonicRead).toBe(0);
  });
});

describe('staleness', () => {
  /** e2 acknowledged at 3 ms, e1 applied at 4 ms; a read invoked `ms` after the ack shows version 1. */
  const staleBy = (ms: number) => {
    const h = esHistory().appended('e1', 's1', 1).appended('e2', 's1', 2).apply('e1', 's1', 1);
    h.wait(ms - 2)
      .queryInvoke('reader-0', 'proj', 's1')
      .queryOk('reader-0', 'proj', 's1', 1);
    return h.apply('e2', 's1', 2);
  };
  const staleReads = (r: ReturnType<typeof judge>) => r.measurements?.staleReads as StaleReadMeasurement;

  it('measures a stale read, and counts it as information without a claimed bound', () => {
    const r = judge(readBacks(staleBy(50)));
    expect(r.counts.staleRead).toBe(1);
    expect(r.valid).toBe(true);
    expect(anomaly(r, 'staleRead')).toMatchObject({ id: 's1', group: 'proj', events: [3, 5, 6] });
    expect(anomaly(r, 'staleRead')?.detail).toMatch(/version 1 to reader-0, 50 ms after version 2/);
    expect(staleReads(r)).toEqual({
      queries: 1,
      lagMs: { count: 1, p50: 50, p95: 50, p99: 50, max: 50 },
      overBound: 0,
      groups: { proj: { queries: 1, lagMs: { count: 1, p50: 50, p95: 50, p99: 50, max: 50 } } },
    });
  });

  it('a claimed bound forbids only the stale reads past it', () => {
    const within = judge(readBacks(staleBy(50)), { ...strict, maxStalenessMs: 100 });
    expect(within.counts.staleRead).toBe(0);
    expect(within.valid).toBe(true);
    expect(staleReads(within)).toMatchObject({ maxStalenessMs: 100, overBound: 0, lagMs: { count: 1 } });
    const past = judge(readBacks(staleBy(150)), { ...strict, maxStalenessMs: 100 });
    expect(past.counts.staleRead).toBe(1);
    expect(past.violations).toEqual(['staleRead']);
    expect(past.valid).toBe(false);
    expect(staleReads(past).overBound).toBe(1);
  });

  it('not stale: acknowledged only after the read was invoked, or an answer without its invoke', () => {
    const h = esHistory().appended('e1', 's1', 1).apply('e1', 's1', 1).queryInvoke('reader-0', 'proj', 's1');
    h.appended('e2', 's1', 2).queryOk('reader-0', 'proj', 's1', 1).queryOk('reader-1', 'proj', 's1', 1);
    const r = judge(readBacks(h.apply('e2', 's1', 2)));
    expect(r.counts.staleRead).toBe(0);
    expect(staleReads(r)).toMatchObject({ queries: 1, lagMs: { count: 0, max: 0 } });
  });

  it('the lag distribution is nearest-rank over every stale read', () => {
    const h = esHistory().appended('e1', 's1', 1).appended('e2', 's1', 2).apply('e1', 's1', 1);
    for (let k = 0; k < 10; k++) h.query(`reader-${k}`, 'proj', 's1', 1);
    const lag = staleReads(judge(readBacks(h.apply('e2', 's1', 2)))).lagMs;
    // Invocations 3, 5, …, 21 ms after e2's ack at 3 ms: lags 2, 4, …, 20 ms.
    expect(lag).toEqual({ count: 10, p50: 10, p95: 20, p99: 20, max: 20 });
  });
});

describe('what makes the verdict unknown', () => {
  it('a projection claimed, but the store never replayed', () => {
    const h = twoEvents().readBack('proj', 1).state('proj', 's1', 2, 'd2');
    const r = judge(h.events);
    expect(r.valid).toBe('unknown');
    expect(r.reasons).toEqual([expect.stringMatching(/event store was not replayed/)]);
  });

  it('a projection claimed, but its read model never read back', () => {
    const r = judge(twoEvents().readBack('replay', 1).state('replay', 's1', 2, 'd2').events);
    expect(r.valid).toBe('unknown');
    expect(r.reasons).toEqual([expect.stringMatching(/read model of proj was not read back/)]);
  });

  it('a projection claimed, but no projection anywhere', () => {
    const r = judge(esHistory().appended('e1', 's1', 1).events);
    expect(r.valid).toBe('unknown');
    expect(r.reasons[0]).toMatch(/no projection applied an event/);
  });

  it('without a projection claim nothing is missing', () => {
    const r = judge(twoEvents().events, { ...base, concurrency: 'optimistic' });
    expect(r.valid).toBe(true);
    expect(r.reasons).toEqual([]);
  });

  it('a violation stays a violation without the read-backs', () => {
    expect(judge(twoEvents().apply('e1', 's1', 1).events).valid).toBe(false);
  });
});
