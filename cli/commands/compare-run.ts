/**
 * `brokerproof compare --drivers …`: runs the matrix — every setup of each driver on the scenarios
 * it fits, under each fault set — through the runner, one report directory per driver and fault
 * set under <out>/runs/, with progress and an estimate. What could not run is listed with why.
 */
import { join, relative } from 'node:path';
import type { ResolvedConfig } from '../../config/schema.ts';
import { describeError, UsageError } from '../../core/errors.ts';
import type { Driver } from '../../drivers/driver.ts';
import {
  brokerFor,
  createDriver,
  DRIVER_NAMES,
  type DriverSettings,
  type Placement,
} from '../../drivers/index.ts';
import { isFaultSpec, parseFaultSpec } from '../../faults/fault-plan.ts';
import { Nemesis } from '../../faults/nemesis.ts';
import { type Provisioner, resolveProvisioner } from '../../provision/provisioner.ts';
import { provisionStore } from '../../provision/store.ts';
import type { ComparedRun, NotRun } from '../../reports/compare/model.ts';
import { reportHref } from '../../reports/compare/model.ts';
import { withFigures } from '../../reports/figures/read.ts';
import { fileReporters } from '../../reports/files.ts';
import type { Reporter } from '../../reports/reporter.ts';
import type { StoreChoice } from '../../runner/case-store.ts';
import { bounded } from '../../runner/deadlines.ts';
import { run } from '../../runner/run.ts';
import { selectTargets, type Target } from '../../runner/targets.ts';
import { findScenario, SCENARIOS } from '../../scenarios/catalogue.ts';
import type { CliIo } from '../io.ts';
import { onInterrupt } from '../signals.ts';
import { TOOL_VERSION } from '../version.ts';
import {
  type Batch,
  dedicatedBatch,
  dedicatedUnavailable,
  groupByServer,
  needsDedicated,
} from './compare-dedicated.ts';
import { clearReportDir } from './run.ts';

export const DEFAULT_FAULT_SETS = ['none', 'consumer-crash', 'partition', 'broker-kill'];

/**
 * The scenarios a comparison of brokers runs by default: those whose verdict is the broker's
 * (delivery, order, fan-out, dead-lettering, exactly-once). The application patterns built on a
 * broker (idempotent consumer, outbox, dual write, event sourcing, CQRS, at-most-once handling)
 * test the application's code as much as the broker, and would triple the matrix (every setup of
 * five brokers on every scenario under four fault sets is about 800 cases, 1.5–2 h here):
 * `--scenario all` runs them too.
 */
export const COMPARE_SCENARIOS = ['work-queue', 'ordered', 'fan-out', 'retry-dlq', 'exactly-once'];

export interface MatrixPlan {
  drivers?: string[] | undefined;
  /** Only these scenarios (default `COMPARE_SCENARIOS`; `['all']`: every scenario a setup fits). */
  scenarios?: string[] | undefined;
  faultSets?: string[] | undefined;
  runs: number;
  maxTimeMs?: number | undefined;
  seed: number;
  messages?: number | undefined;
  outDir: string;
  progress: boolean;
}

interface DriverPlan {
  name: string;
  driver: Driver;
  targets: Target[];
  store: StoreChoice | undefined;
}

const faultsOf = (set: string) => (set === 'none' ? [] : set.split('+'));

/** Rough per-case time before any case has finished (ms); replaced by the mean of finished cases. */
const FIRST_GUESS_MS = 8_000;

export async function runMatrix(
  plan: MatrixPlan,
  config: ResolvedConfig,
  io: CliIo,
): Promise<{ runs: ComparedRun[]; notRun: NotRun[]; interrupted: boolean }> {
  const drivers = plan.drivers ?? [...DRIVER_NAMES];
  for (const name of drivers)
    if (!(DRIVER_NAMES as readonly string[]).includes(name))
      throw new UsageError(`unknown driver "${name}"`, { hint: `Drivers: ${DRIVER_NAMES.join(', ')}.` });
  const faultSets = plan.faultSets ?? DEFAULT_FAULT_SETS;
  const scenarios = plan.scenarios?.includes('all') ? undefined : (plan.scenarios ?? COMPARE_SCENARIOS);
  for (const name of scenarios ?? [])
    if (!findScenario(name))
      throw new UsageError(`unknown scenario "${name}"`, {
        hint: `Scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}.`,
      });
  for (const set of faultSets)
    for (const fault of faultsOf(set))
      if (!isFaultSpec(fault))
        throw new UsageError(`unknown fault "${fault}" in --faults`, {
          hint: `Fault sets: ${DEFAULT_FAULT_SETS.join(', ')}; join faults of one set with + (consumer-crash+partition).`,
        });
  const settings = (config.drivers ?? {}) as DriverSettings;
  const log = (line: string) => io.err(`${line}\n`);
  const notRun: NotRun[] = [];
  const notRunAll = (targets: readonly Target[], driver: string, faults: string, reason: string) => {
    for (const t of targets)
      notRun.push({ driver, setup: t.setup.name, scenario: t.scenario.name, faults, reason });
  };
  const runs: ComparedRun[] = [];
  const planned: DriverPlan[] = [];
  let provisioner: Provisioner | undefined;
  const provision = async () => {
    provisioner ??= await resolveProvisioner('auto', { endpoints: config.endpoints, log });
    return provisioner;
  };
  const controller = new AbortController();
  const stopListening = onInterrupt(controller, io);
  try {
    // Plan: every driver that can be reached, every setup on the scenarios it fits.
    for (const name of drivers) {
      try {
        planned.push(await planDriver(name, settings, scenarios, provision, io));
      } catch (error) {
        const reason = `driver unavailable: ${describeError(error)}`;
        io.err(`brokerproof: ${name}: ${reason}\n`);
        for (const set of faultSets)
          notRun.push({ driver: name, setup: '*', scenario: '*', faults: set, reason });
      }
    }
    const work: { p: DriverPlan; set: string; targets: Target[] }[] = [];
    // Fault set by fault set, every driver in turn: a run cut short by --max-time still compares brokers.
    for (const set of faultSets) {
      for (const p of planned) {
        const reason = unsupportedReason(p, faultsOf(set), settings, provisioner);
        if (reason) {
          for (const t of p.targets)
            notRun.push({
              driver: p.name,
              setup: t.setup.name,
              scenario: t.scenario.name,
              faults: set,
              reason,
            });
        } else if (p.targets.length) work.push({ p, set, targets: p.targets });
      }
    }
    const total = work.reduce((n, w) => n + w.targets.length * plan.runs, 0);
    io.err(
      `brokerproof: compare matrix of ${total} cases (${work.length} driver × fault-set runs), seed ${plan.seed}\n`,
    );
    const started = Date.now();
    const deadline = plan.maxTimeMs === undefined ? undefined : started + plan.maxTimeMs;
    let done = 0;
    let caseMs = 0;
    const progress: Reporter = {
      onCaseEnd(result) {
        done++;
        caseMs += result.durationMs;
        if (!plan.progress) return;
        const mean = caseMs / done || FIRST_GUESS_MS;
        const left = Math.round(((total - done) * mean) / 1000);
        const verdict = result.valid === true ? 'holds' : result.valid === false ? 'VIOLATED' : 'unknown';
        io.err(
          `[${done}/${total}] ${result.id} × ${result.faults.join('+') || 'none'}: ${verdict} (${(result.durationMs / 1000).toFixed(1)} s) — about ${left} s left\n`,
        );
      },
    };
    const timer =
      deadline === undefined
        ? undefined
        : setTimeout(
            () => controller.abort(new Error('--max-time reached')),
            Math.max(0, deadline - Date.now()),
          );
    try {
      for (const w of work) {
        if (controller.signal.aborted) {
          for (const t of w.targets)
            notRun.push({
              driver: w.p.name,
              setup: t.setup.name,
              scenario: t.scenario.name,
              faults: w.set,
              reason: stopReason(controller),
            });
          continue;
        }
        const base = join(plan.outDir, 'runs', `${w.p.name}-${w.set.replace(/[^A-Za-z0-9@+-]/g, '_')}`);
        // power-loss: a dedicated broker per group of setups with the same server settings.
        const dedicated = needsDedicated(faultsOf(w.set));
        const groups = dedicated
          ? groupByServer(w.p.name, settings, w.targets)
          : [{ serverEnv: {}, targets: w.targets }];
        for (const [index, group] of groups.entries()) {
          if (controller.signal.aborted) {
            notRunAll(group.targets, w.p.name, w.set, stopReason(controller));
            continue;
          }
          let batch: Batch = { targets: group.targets };
          if (dedicated) {
            try {
              batch = await dedicatedBatch(w.p.name, settings, group, log);
            } catch (error) {
              notRunAll(group.targets, w.p.name, w.set, `no dedicated broker: ${describeError(error)}`);
              continue;
            }
          }
          const outDir = index === 0 ? base : `${base}-${index + 1}`;
          try {
            clearReportDir(outDir);
            const result = await run({
              targets: batch.targets,
              runs: plan.runs,
              seed: plan.seed,
              messages: plan.messages,
              faults: faultsOf(w.set),
              outDir,
              timeouts: config.timeouts,
              reporters: [progress, ...fileReporters()],
              signal: controller.signal,
              log,
              toolVersion: TOOL_VERSION,
              settings: { drivers: { ...settings }, messages: plan.messages, timeouts: config.timeouts },
              store: w.p.store,
              shrinkMs: 0,
            });
            if (result.interrupted) {
              const ran = new Set(result.cases.map((c) => `${c.setup}/${c.scenario}`));
              notRunAll(
                group.targets.filter((t) => !ran.has(`${t.setup.name}/${t.scenario.name}`)),
                w.p.name,
                w.set,
                stopReason(controller),
              );
            }
            if (result.cases.length)
              runs.push({
                dir: relative(plan.outDir, outDir),
                href: reportHref(relative(plan.outDir, outDir)),
                result: await withFigures(result, outDir),
              });
          } finally {
            await batch.close?.();
          }
        }
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
    io.err(`brokerproof: matrix ran ${done} cases in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const interrupted = controller.signal.aborted && !String(controller.signal.reason).includes('--max-time');
    return { runs, notRun, interrupted };
  } finally {
    stopListening();
    for (const p of planned)
      await bounded(
        'closing the driver',
        3_000,
        () => p.driver.close(),
        (m) => io.err(`brokerproof: ${m}\n`),
      );
  }
}

const stopReason = (controller: AbortController) =>
  String(controller.signal.reason).includes('--max-time')
    ? '--max-time reached before it could start'
    : 'interrupted';

async function planDriver(
  name: string,
  settings: DriverSettings,
  scenarios: readonly string[] | undefined,
  provision: () => Promise<Provisioner>,
  io: CliIo,
): Promise<DriverPlan> {
  const broker = brokerFor(name, settings);
  const placement: Placement = {};
  if (broker) {
    const provisioner = await provision();
    placement.endpoint = (await provisioner.up([broker]))[broker];
    placement.native = provisioner.kind === 'local';
    placement.version = () => provisioner.version(broker);
  }
  const driver = await createDriver(name, settings, placement);
  // Setups a scenario does not claim for are left out of the matrix (their cells show n/a).
  const all = selectTargets(driver, { setups: driver.setups.map((s) => s.name) }, {}).targets.filter(
    (t) => !scenarios || scenarios.includes(t.scenario.name),
  );
  let store: StoreChoice | undefined;
  let targets = all;
  if (all.some((t) => t.scenario.store)) {
    if (name === 'memory') store = { kind: 'memory' };
    else {
      try {
        const placed = await provisionStore(await provision());
        store = {
          kind: 'postgres',
          url: placed.endpoint.connectionString,
          faultTargets: placed.faultTargets,
        };
      } catch (error) {
        io.err(`brokerproof: ${name}: scenarios with a store left out (${describeError(error)})\n`);
        targets = all.filter((t) => !t.scenario.store);
      }
    }
  }
  return { name, driver, targets, store };
}

function unsupportedReason(
  p: DriverPlan,
  faults: readonly string[],
  settings: DriverSettings,
  provisioner: Provisioner | undefined,
): string | undefined {
  for (const fault of faults) {
    const { kind, role } = parseFaultSpec(fault)!;
    // power-loss needs the broker on a lossy file system, in an instance of its own.
    if (kind === 'power-loss') {
      const reason = dedicatedUnavailable(p.name, settings, provisioner);
      if (reason) return `${fault}: ${reason}`;
    }
    const storeTargets = p.store?.kind === 'postgres' ? p.store.faultTargets : undefined;
    const brokerTargets = {
      ...p.driver.faultTargets,
      perConsumer: p.driver.capabilities.consumerVia === true,
    };
    const reason = Nemesis.unsupported(kind, brokerTargets, role, storeTargets);
    if (reason) return `${fault} cannot be injected into ${p.name}: ${reason}`;
  }
  return undefined;
}
