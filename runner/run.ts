import { mkdirSync } from 'node:fs';
import type { DriverSettings } from '../drivers/index.ts';
import type { Reporter } from '../reports/reporter.ts';
import type { CasePlan, CaseResult } from './case.ts';
import type { StoreChoice } from './case-store.ts';
import { type ExploreOptions, explore } from './explore.ts';
import { type CaseTimeouts, type Isolation, runCase } from './run-case.ts';
import {
  overallValidity,
  RESULTS_VERSION,
  type RunResult,
  type RunSettings,
  redactSecrets,
} from './run-result.ts';
import type { Skipped, Target } from './targets.ts';

export interface RunOptions {
  targets: readonly Target[];
  skipped?: readonly Skipped[];
  runs: number;
  seed: number;
  /** Replay only the case at this fast-check path. */
  path?: string | undefined;
  messages?: number | undefined;
  faults: readonly string[];
  /** Shrink the first violation for up to this long (0: run every case, no shrinking). */
  shrinkMs?: number | undefined;
  /** Extra workload constraints (selftest probes). */
  workload?: ExploreOptions['workload'];
  outDir: string;
  timeouts?: Partial<CaseTimeouts> | undefined;
  reporters?: readonly Reporter[];
  signal?: AbortSignal;
  log?: (message: string) => void;
  toolVersion: string;
  settings?: RunSettings;
  isolation?: Isolation | undefined;
  /** Where scenarios with a store keep their state (default: memory). */
  store?: StoreChoice | undefined;
}

/** Explores every target, case after case, telling reporters as it goes. */
export async function run(options: RunOptions): Promise<RunResult> {
  const reporters = options.reporters ?? [];
  const signal = options.signal ?? new AbortController().signal;
  const started = new Date();
  mkdirSync(options.outDir, { recursive: true });
  const perTarget = options.path === undefined ? options.runs : 1;
  for (const r of reporters) {
    await r.onRunStart?.({
      totalCases: options.targets.length * perTarget,
      outDir: options.outDir,
      seed: options.seed,
    });
  }
  const cases: CaseResult[] = [];
  for (const target of options.targets) {
    if (signal.aborted) break;
    const execute = (plan: CasePlan) =>
      runCase(plan, target.driver, {
        outDir: options.outDir,
        timeouts: options.timeouts,
        isolation: options.isolation,
        store: options.store,
        driverSettings: options.settings?.drivers as DriverSettings | undefined,
        signal,
        log: options.log,
      });
    const exploration = await explore(
      target,
      {
        runs: options.runs,
        seed: options.seed,
        path: options.path,
        messages: options.messages,
        faults: options.faults,
        workload: options.workload,
        shrinkMs: options.shrinkMs,
        store: options.store?.kind,
        outDir: options.outDir,
        signal,
      },
      {
        run: async (plan) => {
          for (const r of reporters) await r.onCaseStart?.(plan);
          const result = await execute(plan);
          for (const r of reporters) await r.onCaseEnd?.(result);
          return result;
        },
        shrinkStep: async (plan, attempt) => {
          const result = await execute(plan);
          for (const r of reporters) await r.onShrinkStep?.(result, attempt);
          return result;
        },
      },
    );
    cases.push(...exploration.cases);
    if (exploration.counterexample) {
      for (const r of reporters)
        await r.onCounterexample?.(exploration.counterexample, exploration.shrinkRuns);
    }
  }
  const finished = new Date();
  const result: RunResult = {
    version: RESULTS_VERSION,
    tool: { name: 'brokerproof', version: options.toolVersion },
    valid: overallValidity(cases, signal.aborted),
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    seed: options.seed,
    runs: options.runs,
    faults: options.faults,
    interrupted: signal.aborted,
    settings: redactSecrets(options.settings ?? { drivers: {} }),
    cases,
    skipped: [...(options.skipped ?? [])],
  };
  for (const r of reporters) await r.onRunEnd?.(result, options.outDir);
  return result;
}
