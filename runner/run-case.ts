import { relative } from 'node:path';
import { zeroCounts } from '../checker/check.ts';
import { describeError } from '../core/errors.ts';
import { groupNames, type Phase } from '../core/events.ts';
import type { Driver } from '../drivers/driver.ts';
import type { DriverSettings } from '../drivers/index.ts';
import { isClusterFault, parseFaultSpec } from '../faults/fault-plan.ts';
import { findScenario } from '../scenarios/catalogue.ts';
import { handlerModuleOf, handlerStoreOf } from '../scenarios/kit/your-handler.ts';
import type { CasePlan, CaseResult } from './case.ts';
import {
  type CaseState,
  drainPhase,
  healPhase,
  type Isolation,
  loadOutstanding,
  loadPhase,
  readBackPhase,
  recordCancelledCrashes,
  setupPhase,
} from './case-phases.ts';
import { CaseRecording, caseIdentity } from './case-recording.ts';
import type { StoreChoice } from './case-store.ts';
import { checkHistoryFile, eventsAt } from './check-history-file.ts';
import { CrashClaims } from './crash-claims.ts';
import {
  bounded,
  CaseAbortedError,
  type CaseTimeouts,
  DEFAULT_TIMEOUTS,
  drainCapMs,
  INTERRUPTED_STEP_MS,
  loadCapMs,
  withDeadline,
} from './deadlines.ts';
import type { DrainReport } from './drain-report.ts';
import { settlementFor } from './settlement.ts';

/**
 * The heal phase of a case with cluster faults: each node must be ready again (20 s each at most),
 * and a node a partition left out of a split cluster is restarted (seen with RabbitMQ: 30 s was
 * not enough for that, and a case that held ended unknown).
 */
export const CLUSTER_HEAL_MS = 120_000;

export type { Isolation } from './case-phases.ts';
export { type CaseTimeouts, DEFAULT_TIMEOUTS } from './deadlines.ts';

export interface RunCaseOptions {
  outDir: string;
  /** Default: `process` when the driver can attach from another process, else `inline`. */
  isolation?: Isolation | undefined;
  /** The driver's settings, for worker processes that create their own driver. */
  driverSettings?: DriverSettings | undefined;
  timeouts?: Partial<CaseTimeouts> | undefined;
  /** Where a scenario with a store keeps its state (default: memory; the CLI passes PostgreSQL for real brokers). */
  store?: StoreChoice | undefined;
  /** Aborted on Ctrl-C: the case stops at once, heals, tears down (each bounded) and returns. */
  signal?: AbortSignal;
  log?: (message: string) => void;
}

/**
 * Runs one case through its phases — setup, load, heal, drain, check, teardown — each with a
 * deadline, recording every event to the case's history file as it happens. Heal and teardown
 * always run (bounded, also after Ctrl-C); the verdict is read back from the file on disk.
 */
export async function runCase(plan: CasePlan, driver: Driver, options: RunCaseOptions): Promise<CaseResult> {
  const log = options.log ?? (() => {});
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const minDrainMs = driver.capabilities.minDrainMs ?? 0;
  if (timeouts.drainMs < minDrainMs) {
    log(
      `case ${plan.id}: drain deadline raised from ${timeouts.drainMs / 1000} s to ${minDrainMs / 1000} s: ${driver.name} needs ${driver.capabilities.drainSettleMs / 1000} s of quiet to know nothing is owed`,
    );
    timeouts.drainMs = minDrainMs;
  }
  if (
    timeouts.healMs < CLUSTER_HEAL_MS &&
    plan.faults.some((f) => isClusterFault(parseFaultSpec(f)?.kind ?? ''))
  ) {
    log(
      `case ${plan.id}: heal deadline raised from ${timeouts.healMs / 1000} s to ${CLUSTER_HEAL_MS / 1000} s: a cluster's heal waits for every node to be ready, and restarts one left out of a split cluster`,
    );
    timeouts.healMs = CLUSTER_HEAL_MS;
  }
  const started = Date.now();
  const loadDeadlineMs = loadCapMs(timeouts.loadMs, plan.workload, driver.capabilities.slowestSendRate);
  const caseMs =
    timeouts.caseMs ||
    timeouts.setupMs +
      loadDeadlineMs +
      timeouts.healMs +
      drainCapMs(timeouts.drainMs, plan.workload) +
      timeouts.teardownMs;
  const caseDeadline = new AbortController();
  const caseTimer = setTimeout(
    () =>
      caseDeadline.abort(new Error(`the case passed its overall deadline of ${Math.round(caseMs / 1000)} s`)),
    caseMs,
  );
  const signal = AbortSignal.any([options.signal ?? new AbortController().signal, caseDeadline.signal]);

  const { workload } = plan;
  const groups = groupNames(workload.groups);
  const recording = new CaseRecording(plan, options.outDir, groups, started);
  const { history } = recording;
  const phase = (name: Phase, extra: Record<string, unknown> = {}) => recording.phase(name, extra);

  const storeChoice: StoreChoice = options.store ?? { kind: 'memory' };
  if (plan.store !== undefined && plan.store !== storeChoice.kind)
    throw new Error(
      `case ${plan.id} keeps its state in ${plan.store}, but the runner was given a ${storeChoice.kind} store`,
    );
  // Worker processes need a driver that can attach to a topology from elsewhere, a scenario they
  // can find in the catalogue, and a store they can reach (memory lives in this process only).
  const wanted = options.isolation ?? (driver.capabilities.processIsolation ? 'process' : 'inline');
  const isolation: Isolation =
    wanted === 'process' &&
    driver.attach &&
    // A scenario running your handler: workers find the scenario by name and load the handler module.
    (findScenario(plan.scenario.name) === plan.scenario ||
      (handlerModuleOf(plan.scenario) !== undefined && findScenario(plan.scenario.name) !== undefined)) &&
    !plan.scenario.consumersInline &&
    !(plan.scenario.store && storeChoice.kind === 'memory')
      ? 'process'
      : 'inline';
  const s: CaseState = {
    plan,
    driver,
    groups,
    history,
    recorder: { record: (event, json) => history.record(event, json) },
    timeouts,
    isolation,
    driverSettings: options.driverSettings,
    storeChoice,
    claims: CrashClaims.create(),
    pipeline: plan.scenario.pipeline === true && plan.setup.pipeline !== undefined,
    signal,
    log,
    consumers: [],
    readers: [],
    producers: [],
    settlement: settlementFor(plan, driver, groups),
  };
  if (s.settlement) history.onEvent((e) => s.settlement?.add(e));
  let error: string | undefined;
  let diagnostics: Record<string, unknown> = {};
  let drain: DrainReport | undefined;

  try {
    phase('setup');
    await withDeadline('setup', timeouts.setupMs, signal, () => setupPhase(s));
    phase('load');
    // The load deadline stops producers (no more sends, no more retries); the phase itself gets a
    // little longer for sends already on the wire to be answered.
    const stopLoad = AbortSignal.any([signal, AbortSignal.timeout(loadDeadlineMs)]);
    await withDeadline(
      'load',
      loadDeadlineMs + 5_000,
      signal,
      () => loadPhase(s, stopLoad),
      () => [loadOutstanding(s), recording.lastFault()].filter(Boolean).join('; '),
    );
    phase('heal');
    await withDeadline('heal', timeouts.healMs, signal, () => healPhase(s));
    phase('drain');
    drain = await withDeadline('drain', drainCapMs(timeouts.drainMs, plan.workload) + 10_000, signal, () =>
      drainPhase(s),
    );
    if (drain.ended === 'deadline') phase('drain', { cutOff: true });
    recordCancelledCrashes(s);
    await withDeadline('read-back', timeouts.drainMs, signal, () => readBackPhase(s));
    // Everything the workers did before this moment is in the history before the check starts.
    await withDeadline('check', 10_000, signal, () => history.settle());
    phase('check');
  } catch (e) {
    error = e instanceof CaseAbortedError ? e.message : describeError(e);
    log(`case ${plan.id}: ${error}`);
  }

  // Whatever happened, no fault outlives its case: toxics removed, proxy enabled, broker awake.
  const stepMs = (ms: number) => (signal.aborted ? INTERRUPTED_STEP_MS : ms);
  await bounded('healing', stepMs(timeouts.healMs), async () => s.schedule?.end(), log);
  recording.flush();

  // The verdict comes from the file on disk: what was checked is what anyone can re-check.
  let checked: Awaited<ReturnType<typeof checkHistoryFile>> | undefined;
  try {
    checked = await checkHistoryFile(recording.path, {
      claim: plan.claim,
      groups,
      ...(plan.scenario.checker && { families: [plan.scenario.checker] }),
    });
  } catch (e) {
    error ??= `checker failed: ${describeError(e)}`;
  }

  phase('teardown');
  await bounded(
    'teardown',
    stepMs(timeouts.teardownMs),
    async () => {
      if (signal.aborted) for (const c of s.consumers) c.kill?.();
      await Promise.allSettled(s.consumers.map((c) => c.stop()));
      await Promise.allSettled(s.readers.map((r) => r.stop()));
      diagnostics = s.topology?.diagnostics?.() ?? {};
      await s.topology?.dispose();
      await s.store?.dispose();
    },
    (message) => {
      error ??= message;
      log(message);
    },
  );
  // A step of its own: the proxies go even when the teardown above ran out of time.
  await bounded(
    'deleting the per-consumer proxies',
    stepMs(timeouts.teardownMs),
    async () => {
      await s.consumerProxies?.dispose();
      if (s.consumerProxies?.deleteMs !== undefined)
        log(`case ${plan.id}: per-consumer proxies deleted in ${s.consumerProxies.deleteMs} ms`);
    },
    (message) => {
      error ??= message;
      log(message);
    },
  );
  clearTimeout(caseTimer);
  recording.close();
  s.claims.dispose();

  const result = checked?.result;
  const needed = new Set(result?.anomalies.flatMap((a) => a.events) ?? []);
  const evidence = await eventsAt(recording.path, needed).catch(() => ({}));
  const reasons = [...(result?.reasons ?? [])];
  if (error && !reasons.includes(error)) reasons.push(error);
  if (options.signal?.aborted) reasons.push('the run was interrupted');
  return {
    id: plan.id,
    ...caseIdentity(plan),
    setupOptions: plan.setup.options,
    ...(plan.setup.extends !== undefined && { setupExtends: plan.setup.extends }),
    ...(handlerModuleOf(plan.scenario) !== undefined && { handler: handlerModuleOf(plan.scenario) }),
    ...(handlerStoreOf(plan.scenario) !== undefined && { handlerStore: handlerStoreOf(plan.scenario) }),
    claimBasis: plan.setup.claimBasis,
    ...(plan.setup.vendorClaim !== undefined && { vendorClaim: plan.setup.vendorClaim }),
    setupDescription: plan.setup.description,
    // A definite violation stands even if the case broke off; otherwise an error means "could not decide".
    valid: result?.valid === false ? false : error || !result ? 'unknown' : result.valid,
    counts: result?.counts ?? zeroCounts(),
    groups: result?.groups ?? {},
    violations: result?.violations ?? [],
    reasons,
    anomalies: result?.anomalies ?? [],
    ...(result?.measurements && { measurements: result.measurements }),
    evidence,
    history: relative(options.outDir, recording.path),
    workload,
    faults: plan.faults,
    ...recording.summary(),
    // How the drain ended, beside what the driver says: a drain that ended early reads as loss.
    diagnostics: { ...diagnostics, ...(drain && { drain }) },
    durationMs: Date.now() - started,
    ...(error !== undefined && { error }),
  };
}
