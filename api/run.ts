/**
 * brokerproof from code: `run(config)` does what `brokerproof run` does with that config and
 * returns the results; `planCases(config)` says which cases it will run (their ids) without
 * running anything. Bad input throws a `ConfigError`/`UsageError` (exit code 2) naming the key.
 */
import { join, resolve } from 'node:path';
import { executeRun, type RunFlags, resolveRunPlan } from '../cli/commands/run.ts';
import type { CliIo } from '../cli/io.ts';
import { withCustomSetups } from '../config/custom-setups.ts';
import { loadConfig, parseConfig } from '../config/load-config.ts';
import { withHandlerTargets } from '../config/run-inputs.ts';
import type { BrokerproofConfig, ResolvedConfig } from '../config/schema.ts';
import { createDriver } from '../drivers/index.ts';
import { caseId } from '../runner/explore.ts';
import { exitCodeFor, type RunResult } from '../runner/run-result.ts';
import { selectTargets } from '../runner/targets.ts';
import { resolveHandlerPath } from '../scenarios/kit/your-handler.ts';
import { DEFAULT_SUITE } from '../suites/default.ts';

export interface RunApiOptions {
  /** Where relative paths (`out`, a config file, `handler` of a config object) start. Default: cwd. */
  cwd?: string | undefined;
  /** Command-line flags on top of the config (`{ driver: 'rabbitmq', runs: 1 }`). */
  flags?: Omit<RunFlags, 'config' | 'json'> | undefined;
  /** Progress on stderr (default false). */
  progress?: boolean | undefined;
  /** Where progress and logs go (default: stderr). */
  log?: ((line: string) => void) | undefined;
}

export interface RunOutcome {
  result: RunResult;
  /** 0 every claim held, 1 a violation was found, 2 could not decide. */
  exitCode: number;
  /** The report directory (absolute): results.json, index.html, junit.xml, summary.md, histories/. */
  outDir: string;
}

/** A config object, or the path of a config file (`.ts`, `.mjs`, `.json`). */
export type ConfigSource = BrokerproofConfig | string;

async function resolveConfig(source: ConfigSource, cwd: string): Promise<ResolvedConfig> {
  if (typeof source === 'string') return (await loadConfig(source, cwd)).config;
  const config = parseConfig(source);
  const schema = config.handlerStore?.schema;
  return {
    ...config,
    ...(config.handler !== undefined && { handler: resolveHandlerPath(config.handler, cwd) }),
    ...(config.handlerStore &&
      schema !== undefined && {
        handlerStore: { ...config.handlerStore, schema: resolveHandlerPath(schema, cwd) },
      }),
  };
}

/** Resolves a relative `out` against `cwd` (flags first, as the command line does). */
function withOut(config: ResolvedConfig, flags: RunApiOptions['flags'], cwd: string): RunFlags {
  return { ...flags, out: resolve(cwd, flags?.out ?? config.out ?? DEFAULT_SUITE.out) };
}

function ioFor(options: RunApiOptions): CliIo {
  const log = options.log ?? ((line: string) => process.stderr.write(line));
  return { out: () => {}, err: log, exit: () => {} };
}

/** Runs the config's conformance suite, as `brokerproof run` would, and returns its results. */
export async function run(source: ConfigSource = {}, options: RunApiOptions = {}): Promise<RunOutcome> {
  const cwd = options.cwd ?? process.cwd();
  const config = await resolveConfig(source, cwd);
  const plan = resolveRunPlan(withOut(config, options.flags, cwd), config);
  const result = await executeRun(plan, ioFor(options), { json: false, progress: options.progress === true });
  return { result, exitCode: exitCodeFor(result.valid), outDir: plan.outDir };
}

export interface PlannedCases {
  /** Case ids in the order they run (`memory.orders-queue.work-queue.0`, …). */
  ids: string[];
  outDir: string;
  /** Runs the planned cases (once: later calls return the same promise). */
  run(): Promise<RunOutcome>;
}

/**
 * The cases a config runs, by id, without running them (no broker is contacted), and a `run` that
 * runs them. Shrinking is off unless the config asks for it, so every planned case runs.
 */
export async function planCases(
  source: ConfigSource = {},
  options: RunApiOptions = {},
): Promise<PlannedCases> {
  const cwd = options.cwd ?? process.cwd();
  const config = await resolveConfig(source, cwd);
  const flags = { shrinkTime: config.shrinkTime ?? 0, ...withOut(config, options.flags, cwd) };
  const plan = resolveRunPlan(flags, config);
  const driver = withCustomSetups(await createDriver(plan.driver, plan.settings), plan.customSetups);
  let ids: string[];
  try {
    const selected = selectTargets(
      driver,
      { setups: plan.setups, scenarios: plan.scenarios, variant: plan.variant },
      plan.override,
    );
    const { targets } = plan.handler
      ? withHandlerTargets(selected, plan.handler, plan.scenarios, plan.handlerStore, plan.override)
      : selected;
    ids = targets.flatMap((t) => Array.from({ length: plan.runs }, (_, k) => caseId(t, String(k))));
  } finally {
    await driver.close().catch(() => {});
  }
  let running: Promise<RunOutcome> | undefined;
  return {
    ids,
    outDir: plan.outDir,
    run: () => {
      running ??= executeRun(plan, ioFor(options), {
        json: false,
        progress: options.progress === true,
      }).then((result) => ({ result, exitCode: exitCodeFor(result.valid), outDir: plan.outDir }));
      return running;
    },
  };
}

/** Where a case's report and history are. */
export function reportPaths(outDir: string, history: string): { report: string; history: string } {
  return { report: join(outDir, 'index.html'), history: join(outDir, history) };
}
