/** Hand-made case results for report tests (no broker, no run). */
import { type Counts, zeroCounts } from '../../checker/check.ts';
import type { HistoryEvent } from '../../core/events.ts';
import { computeFigures } from '../../reports/figures/pass.ts';
import type { ReportedCase } from '../../reports/figures/read.ts';
import type { CaseResult } from '../../runner/case.ts';
import type { RunResult } from '../../runner/run-result.ts';

export const counts = (values: Partial<Counts>): Counts => ({ ...zeroCounts(), ...values });

export function aCase(overrides: Partial<ReportedCase>): ReportedCase {
  return {
    id: 'case',
    driver: 'memory',
    setup: 'queue',
    scenario: 'work-queue',
    guarantee: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    seed: 1,
    path: '0',
    valid: true,
    counts: counts({ attempted: 3, acknowledged: 3, delivered: 3, processed: 3 }),
    groups: {},
    violations: [],
    reasons: [],
    anomalies: [],
    evidence: {},
    history: 'histories/case.ndjson',
    workload: { messages: 3 } as CaseResult['workload'],
    faults: ['consumer-crash'],
    phases: [],
    crashes: [],
    faultTimeline: [],
    retryIntervals: [],
    diagnostics: {},
    events: 12,
    durationMs: 100,
    ...overrides,
  };
}

export function aRun(cases: CaseResult[], overrides: Partial<RunResult> = {}): RunResult {
  return {
    version: 1,
    tool: { name: 'brokerproof', version: '0.0.0' },
    valid: true,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    seed: 1,
    runs: 1,
    faults: ['consumer-crash'],
    interrupted: false,
    settings: { drivers: {} },
    cases,
    skipped: [],
    ...overrides,
  };
}

/** Figures of a history: load from 0 ms, one partition 100–300 ms; recovery 20 ms (send), 50 ms (delivery). */
export function partitionFigures() {
  const events: HistoryEvent[] = [];
  const add = (ms: number, e: Record<string, unknown>) =>
    events.push({ i: events.length, t: ms * 1000, p: 'producer-0', ...e } as HistoryEvent);
  add(0, { type: 'ok', f: 'phase', phase: 'load' });
  add(10, { type: 'invoke', f: 'send', id: 'a' });
  add(11, { type: 'ok', f: 'send', id: 'a' });
  add(15, { type: 'ok', f: 'deliver', id: 'a', dest: 'q' });
  add(20, { type: 'ok', f: 'process', id: 'a' });
  add(100, {
    p: 'nemesis',
    type: 'ok',
    f: 'fault',
    fault: 'partition',
    action: 'start',
    target: 'consumers',
  });
  add(300, { p: 'nemesis', type: 'ok', f: 'fault', fault: 'partition', action: 'stop', target: 'consumers' });
  add(310, { type: 'invoke', f: 'send', id: 'b' });
  add(320, { type: 'ok', f: 'send', id: 'b' });
  add(350, { type: 'ok', f: 'deliver', id: 'b', dest: 'q' });
  add(360, { type: 'ok', f: 'process', id: 'b' });
  add(400, { type: 'ok', f: 'phase', phase: 'heal' });
  return computeFigures(events);
}
