import {
  closeSync,
  createReadStream,
  createWriteStream,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as fc from 'fast-check';
import type { StoreKind } from '../core/store.ts';
import type { NetworkRole } from '../faults/fault-plan.ts';
import { type CrashPoint, MID_BATCH, type Workload, type WorkloadOptions } from '../scenarios/scenario.ts';
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
  workload?:
    | Pick<
        WorkloadOptions,
        'minCrashes' | 'crashPoints' | 'loadMs' | 'faultDurationMs' | 'minFaults' | 'maxFaults' | 'paced'
      >
    | undefined;
  /**
   * Stop at the first violated case and let fast-check shrink it for up to this long (fewer
   * messages, fewer and shorter faults); 0 or undefined: run all `runs` cases, no shrinking.
   */
  shrinkMs?: number | undefined;
  /** Stops drawing further cases (Ctrl-C). */
  signal?: AbortSignal | undefined;
  /** Where scenarios with a store keep their state. */
  store?: StoreKind | undefined;
  /** The report directory histories are written under (for renaming the counterexample's). */
  outDir: string;
}

export interface Exploration {
  /** The cases drawn, in order (up to the first violation when shrinking). */
  cases: CaseResult[];
  /** The smallest violating case shrinking found (it is also the last of `cases`). */
  counterexample?: CaseResult | undefined;
  /** Shrink attempts run, and how many of them still violated the claim. */
  shrinkRuns: number;
  shrinkFailures: number;
}

export function caseId(target: Target, path: string): string {
  const scenario = target.variant ? `${target.scenario.name}+${target.variant}` : target.scenario.name;
  return `${target.driver.name}.${target.setup.name}.${scenario}.${path.replaceAll(':', '-')}`;
}

export interface CaseRunner {
  /** A case to report as such. */
  run(plan: CasePlan): Promise<CaseResult>;
  /** A shrink attempt: run like a case, but not reported as one. */
  shrinkStep(plan: CasePlan, attempt: number): Promise<CaseResult>;
}

/**
 * Lets fast-check draw `runs` workloads for a target (or the one at `path`) and runs a case for
 * each. Every case keeps the seed and path that redraw its workload exactly. With a shrink budget,
 * the first violation stops the exploration and fast-check shrinks it; the minimal counterexample
 * is kept under its own path, which `replay` reruns.
 */
export async function explore(
  target: Target,
  options: ExploreOptions,
  runner: CaseRunner,
): Promise<Exploration> {
  const cases: CaseResult[] = [];
  const arbitrary = target.scenario.workload({
    messages: options.messages,
    faults: new Set(options.faults),
    maxAttempts: target.claim.maxAttempts,
    networkRoles: networkRoles(target),
    silenceTimeoutMs: target.driver.capabilities.silenceTimeoutMs,
    crashPoints: crashPointsFor(target),
    // Where messages are given up before processing (auto-ack, or a step that acks on receipt),
    // one crash may lose everything in flight, and a second planned crash would wait for
    // deliveries that never come: plan one.
    ...((target.setup.ackMode === 'on-delivery' || target.claim.delivery === 'at-most-once') && {
      maxCrashes: 1,
    }),
    ...options.workload,
  });
  const points = options.workload?.crashPoints?.length
    ? options.workload.crashPoints
    : crashPointsFor(target);
  const shrinking = (options.shrinkMs ?? 0) > 0 && options.path === undefined;
  const plan = (path: string, id: string, workload: Workload, caseIndex: number): CasePlan => ({
    id,
    driver: target.driver.name,
    setup: target.setup,
    scenario: target.scenario,
    variant: target.variant,
    store: target.scenario.store ? (options.store ?? 'memory') : undefined,
    claim: target.claim,
    workload: rotateCrashPoints(workload, points, caseIndex),
    faults: options.faults,
    seed: options.seed,
    path,
  });

  let k = 0;
  // The case a shrink step comes from: its crash points rotate as that case's did.
  let caseIndex = 0;
  let firstFailureAt: number | undefined;
  let lastFailure: CaseResult | undefined;
  let shrinkRuns = 0;
  let shrinkFailures = 0;
  const shrinkSteps: CaseResult[] = [];
  const property = fc.asyncProperty(arbitrary, async (workload) => {
    if (options.signal?.aborted) return true;
    if (firstFailureAt === undefined) {
      const path = options.path ?? String(k++);
      caseIndex = Number.parseInt(path, 10) || 0;
      const result = await runner.run(plan(path, caseId(target, path), workload, caseIndex));
      cases.push(result);
      if (!shrinking || result.valid !== false) return true;
      firstFailureAt = Date.now();
      lastFailure = result;
      return false;
    }
    // Shrinking: every call now is a smaller variant of the failing case, until the budget is spent.
    if (Date.now() - firstFailureAt > options.shrinkMs!) return true;
    shrinkRuns++;
    const id = `${caseId(target, lastFailure!.path)}.shrink-${shrinkRuns}`;
    const result = await runner.shrinkStep(plan('', id, workload, caseIndex), shrinkRuns);
    shrinkSteps.push(result);
    if (result.valid !== false) return true;
    shrinkFailures++;
    lastFailure = result;
    return false;
  });
  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.path === undefined ? options.runs : 1,
    endOnFailure: !shrinking,
    ...(options.path !== undefined && { path: options.path }),
  });

  let counterexample: CaseResult | undefined;
  if (shrinking && lastFailure && details.counterexamplePath) {
    counterexample = lastFailure;
    if (shrinkSteps.includes(lastFailure)) {
      const id = caseId(target, details.counterexamplePath);
      counterexample = await adopt(options.outDir, lastFailure, id, details.counterexamplePath);
      cases.push(counterexample);
    }
    counterexample.counterexample = true;
  }
  // Shrink attempts that did not end up as the counterexample leave no files behind.
  for (const step of shrinkSteps)
    if (step !== lastFailure) rmSync(join(options.outDir, step.history), { force: true });
  return { cases, counterexample, shrinkRuns, shrinkFailures };
}

/**
 * Crash points cycle systematically instead of by chance: the j-th planned crash of case k strikes
 * at point (k + j) mod |points|, so three cases cover before-process, after-process and after-ack
 * once each. A replay of path k rotates the same way.
 */
export function rotateCrashPoints(
  workload: Workload,
  points: readonly CrashPoint[],
  caseIndex: number,
): Workload {
  if (workload.crashes.length === 0) return workload;
  return {
    ...workload,
    crashes: workload.crashes.map((c, j) => ({ ...c, point: points[(caseIndex + j) % points.length]! })),
  };
}

/** The scenario's crash points that can happen on this setup (mid-batch only where deliveries come in batches). */
export function crashPointsFor(target: Pick<Target, 'scenario' | 'setup'>): CrashPoint[] {
  return target.scenario.crashPoints.filter(
    (p) => p !== MID_BATCH || target.setup.deliversInBatches === true,
  );
}

/** Roles the driver's broker has separate proxies for (network faults can target each). */
function networkRoles(target: Target): NetworkRole[] {
  const roles = target.driver.faultTargets?.roles;
  if (!roles) return ['all'];
  return ['all', ...(['producers', 'consumers'] as const).filter((r) => roles[r] !== undefined)];
}

/** Gives the last failing shrink attempt the id and path fast-check reports for it. */
async function adopt(outDir: string, result: CaseResult, id: string, path: string): Promise<CaseResult> {
  const from = join(outDir, result.history);
  const history = result.history.replace(/[^/]+\.ndjson$/, `${id}.ndjson`);
  const to = join(outDir, history);
  // The meta line names the case and its path: rewritten so the file replays on its own. The
  // rest is copied as it is, streamed (a history of 10^7 events is more than a string can hold).
  const meta = firstLine(from);
  const parsed = JSON.parse(meta.toString('utf8')) as Record<string, unknown>;
  writeFileSync(to, JSON.stringify({ ...parsed, caseId: id, path }));
  await pipeline(createReadStream(from, { start: meta.length }), createWriteStream(to, { flags: 'a' }));
  rmSync(from);
  return { ...result, id, path, history };
}

/** The file's first line, without its newline (the whole file when it has none). */
function firstLine(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const parts: Buffer[] = [];
    const chunk = Buffer.alloc(64 * 1024);
    for (let position = 0; ; ) {
      const read = readSync(fd, chunk, 0, chunk.length, position);
      if (read === 0) return Buffer.concat(parts);
      const nl = chunk.subarray(0, read).indexOf(10);
      if (nl >= 0) return Buffer.concat([...parts, chunk.subarray(0, nl)]);
      parts.push(Buffer.from(chunk.subarray(0, read)));
      position += read;
    }
  } finally {
    closeSync(fd);
  }
}
