/**
 * One case with exactly the faults a test names (no drawing), run the way the CLI runs it, and
 * what its history says happened while a fault was in force.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryEvent } from '../../core/events.ts';
import { readHistory } from '../../core/history-reader.ts';
import type { Driver } from '../../drivers/driver.ts';
import type { DriverSettings } from '../../drivers/index.ts';
import type { FaultPlan } from '../../faults/fault-plan.ts';
import type { CaseResult } from '../../runner/case.ts';
import { type Isolation, runCase } from '../../runner/run-case.ts';
import { type ClaimOverride, selectTargets } from '../../runner/targets.ts';
import type { Workload } from '../../scenarios/scenario.ts';

/** A paced load: one producer, `consumers` consumers, `messages` sends `sendIntervalMs` apart. */
export function pacedWorkload(
  messages: number,
  sendIntervalMs: number,
  faults: FaultPlan[],
  consumers = 1,
): Workload {
  return {
    messages,
    producers: 1,
    consumersPerGroup: consumers,
    groups: 1,
    keys: 0,
    partitions: 2,
    poison: [],
    payloadBytes: 16,
    maxProcessingMs: 0,
    transientFailureRate: 0,
    crashes: [],
    sendIntervalMs,
    loadMs: messages * sendIntervalMs,
    faults,
    seed: 11,
  };
}

export interface Planned {
  setup: string;
  scenario: string;
  override?: ClaimOverride;
  workload: Workload;
  settings: DriverSettings;
  isolation: Isolation;
}

/** One case with exactly these faults, and its history. */
export async function runPlanned(
  driver: Driver,
  p: Planned,
  log?: (message: string) => void,
): Promise<{ result: CaseResult; events: HistoryEvent[] }> {
  const [target] = selectTargets(
    driver,
    { setups: [p.setup], scenarios: [p.scenario] },
    p.override ?? {},
  ).targets;
  const outDir = mkdtempSync(join(tmpdir(), `bp-roles-${driver.name}-`));
  const result = await runCase(
    {
      id: `${driver.name}.${p.setup}.${p.scenario}.roles-${Date.now()}`,
      driver: driver.name,
      setup: target!.setup,
      scenario: target!.scenario,
      claim: target!.claim,
      workload: p.workload,
      faults: [...new Set(p.workload.faults.map((f) => f.kind))],
      seed: 11,
      path: '0',
    },
    driver,
    { outDir, isolation: p.isolation, driverSettings: p.settings, ...(log && { log }) },
  );
  return { result, events: (await readHistory(join(outDir, result.history))).events };
}

/**
 * Events of kind `f` (`ok`) while the fault on `target` was in force, from `settleMs` after it
 * began; only those of process `p` when given.
 */
export function okDuring(
  f: 'send' | 'deliver',
  result: CaseResult,
  events: HistoryEvent[],
  target: string,
  settleMs = 0,
  p?: string,
): number {
  const span = result.faultTimeline.find((x) => x.target === target && x.error === undefined);
  if (!span?.stopT) return 0;
  const from = span.startT + settleMs * 1000;
  return events.filter(
    (e) => e.f === f && e.type === 'ok' && e.t > from && e.t < span.stopT! && (p === undefined || e.p === p),
  ).length;
}
