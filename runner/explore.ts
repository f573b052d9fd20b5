import * as fc from 'fast-check';
import type { WorkloadOptions } from '../scenarios/scenario.ts';
import type { CasePlan, CaseResult } from './case.ts';
import type { Target } from './targets.ts';

export interface ExploreOptions {
  runs: number;
  seed: number;
  /** Replay just the case at this fast-check path. */
  path?: string | undefined;
  messages?: number | undefined;
  faults: readonly string[];
  /** Extra workload constraints (at least one crash, crash points) for probes. */
  workload?: Pick<WorkloadOptions, 'minCrashes' | 'crashPoints'> | undefined;
  /** Stops drawing further cases (Ctrl-C). */
  signal?: AbortSignal | undefined;
}

export function caseId(target: Target, path: string): string {
  return `${target.driver.name}.${target.setup.name}.${target.scenario.name}.${path.replaceAll(':', '-')}`;
}

/**
 * Lets fast-check draw `runs` workloads for a target (or the one at `path`), and runs a case for
 * each. Every case keeps the seed and path that redraw its workload exactly.
 */
export async function explore(
  target: Target,
  options: ExploreOptions,
  runCase: (plan: CasePlan) => Promise<CaseResult>,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const arbitrary = target.scenario.workload({
    messages: options.messages,
    faults: new Set(options.faults),
    maxAttempts: target.claim.maxAttempts,
    ...options.workload,
  });
  let k = 0;
  const property = fc.asyncProperty(arbitrary, async (workload) => {
    if (options.signal?.aborted) return true;
    const path = options.path ?? String(k++);
    const plan: CasePlan = {
      id: caseId(target, path),
      driver: target.driver.name,
      setup: target.setup,
      scenario: target.scenario,
      claim: target.claim,
      workload,
      faults: options.faults,
      seed: options.seed,
      path,
    };
    results.push(await runCase(plan));
    // Every drawn case is run and reported; none stops the exploration early.
    return true;
  });
  await fc.check(property, {
    seed: options.seed,
    numRuns: options.path === undefined ? options.runs : 1,
    endOnFailure: true,
    ...(options.path !== undefined && { path: options.path }),
  });
  return results;
}
