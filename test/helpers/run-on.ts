import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from '../../drivers/driver.ts';
import type { DriverSettings } from '../../drivers/index.ts';
import type { CaseResult } from '../../runner/case.ts';
import type { StoreChoice } from '../../runner/case-store.ts';
import type { CaseTimeouts } from '../../runner/deadlines.ts';
import { run } from '../../runner/run.ts';
import type { Isolation } from '../../runner/run-case.ts';
import { type ClaimOverride, selectTargets } from '../../runner/targets.ts';
import type { CrashPlan } from '../../scenarios/scenario.ts';

export interface RunOnOptions {
  runs?: number;
  seed?: number;
  /** Default: consumer-crash. */
  faults?: string[];
  override?: ClaimOverride;
  isolation?: Isolation;
  messages?: number;
  minCrashes?: number;
  crashPoints?: CrashPlan['point'][];
  variant?: string;
  /** Where scenarios with a store keep their state (default memory). */
  store?: StoreChoice;
  /** Phase deadlines (drivers whose redeliveries wait out a long ack deadline need a longer drain). */
  timeouts?: Partial<CaseTimeouts>;
}

/** Cases of one run, with the report directory their history paths are relative to. */
export type Cases = CaseResult[] & { outDir: string };

/**
 * What every driver integration test does: a scenario on a named setup of a real broker, through
 * the same runner the CLI uses, `runs` drawn cases, each case's result back. `defaults` are the
 * test file's own (its isolation, message count, …); each call may override them.
 */
export function caseRunner(
  driver: () => Driver,
  settings: () => DriverSettings,
  defaults: RunOnOptions = {},
): (setup: string, scenario: string, options?: RunOnOptions) => Promise<Cases> {
  return async (setup, scenario, options = {}) => {
    const o = { ...defaults, ...options };
    const { targets } = selectTargets(
      driver(),
      { setups: [setup], scenarios: [scenario], variant: o.variant },
      o.override ?? {},
    );
    const outDir = mkdtempSync(join(tmpdir(), `bp-${driver().name}-`));
    const faults = o.faults ?? ['consumer-crash'];
    const result = await run({
      targets,
      runs: o.runs ?? 2,
      seed: o.seed ?? 7,
      // Small enough for the suite's time budget; the CLI's own draws are far larger.
      messages: o.messages ?? 60,
      faults,
      workload: faults.includes('consumer-crash')
        ? { minCrashes: o.minCrashes, crashPoints: o.crashPoints }
        : undefined,
      outDir,
      toolVersion: 'test',
      isolation: o.isolation,
      store: o.store,
      timeouts: o.timeouts,
      settings: { drivers: { ...settings() } },
    });
    return Object.assign(result.cases, { outDir });
  };
}
