import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { withCustomSetups } from '../../config/custom-setups.ts';
import { loadConfig } from '../../config/load-config.ts';
import { withHandlerTargets } from '../../config/run-inputs.ts';
import { UsageError } from '../../core/errors.ts';
import { brokerFor, createDriver, type Placement } from '../../drivers/index.ts';
import { FAULT_KINDS, parseFaultSpec } from '../../faults/fault-plan.ts';
import { Nemesis } from '../../faults/nemesis.ts';
import { type DedicatedBroker, dedicatedFor } from '../../provision/local/dedicated.ts';
import { type Provisioner, resolveProvisioner } from '../../provision/provisioner.ts';
import { provisionStore } from '../../provision/store.ts';
import { consoleReporter } from '../../reports/console.ts';
import { fileReporters } from '../../reports/files.ts';
import { RESULTS_FILE } from '../../reports/json.ts';
import type { StoreChoice } from '../../runner/case-store.ts';
import { coverageLine } from '../../runner/coverage.ts';
import { bounded } from '../../runner/deadlines.ts';
import { run } from '../../runner/run.ts';
import { exitCodeFor, type RunResult } from '../../runner/run-result.ts';
import { soakWorkload } from '../../runner/soak.ts';
import { selectTargets } from '../../runner/targets.ts';
import { loadHandler } from '../../scenarios/kit/your-handler.ts';
import { type CliIo, printJson } from '../io.ts';
import {
  concurrencyValue,
  guaranteeValue,
  isolationValue,
  listValue,
  nonNegativeNumber,
  orderingValue,
  positiveInt,
  projectionValue,
  seedValue,
  soakMinutesValue,
  storeValue,
} from '../parse.ts';
import { onInterrupt } from '../signals.ts';
import { TOOL_VERSION } from '../version.ts';
import { clusterPlacement } from './run-cluster.ts';
import { DEFAULT_SHRINK_SECONDS, type RunFlags, type RunPlan, resolveRunPlan } from './run-plan.ts';

export { type RunFlags, type RunPlan, resolveRunPlan };

/** Removes what an earlier run left in the report directory (only files brokerproof writes). */
export function clearReportDir(outDir: string): void {
  for (const name of ['histories', RESULTS_FILE, 'index.html', 'junit.xml', 'summary.md']) {
    const path = join(outDir, name);
    if (existsSync(path)) rmSync(path, { recursive: true, force: true });
  }
}

/** The `run --json` document of DESIGN.md. */
export function runJson(result: RunResult, outDir: string) {
  return {
    valid: result.valid,
    interrupted: result.interrupted,
    faultCoverage: coverageLine(result.cases),
    cases: result.cases.map((c) => ({
      id: c.id,
      driver: c.driver,
      setup: c.setup,
      scenario: c.scenario,
      guarantee: c.guarantee,
      // A custom setup (from the config): what it extends and the options it resolved to.
      ...(c.setupExtends && { setupExtends: c.setupExtends, setupOptions: c.setupOptions }),
      seed: c.seed,
      path: c.path,
      valid: c.valid,
      counts: c.counts,
      reasons: c.reasons,
      coverage: c.coverage,
      history: join(outDir, c.history),
    })),
  };
}

export async function executeRun(
  plan: RunPlan,
  io: CliIo,
  options: { json: boolean; progress: boolean; path?: string | undefined },
): Promise<RunResult> {
  // Your handler loads before anything starts (a module that fails to load is exit 2, not a case error).
  if (plan.handler) await loadHandler(plan.handler);
  // A driver whose settings do not say where its broker is gets one from the provisioner.
  const broker = brokerFor(plan.driver, plan.settings);
  const placement: Placement = {};
  let provisioner: Provisioner | undefined;
  const provision = async () => {
    const log = (line: string) => io.err(`${line}\n`);
    provisioner ??= await resolveProvisioner(plan.provision, { endpoints: plan.endpoints, log });
    return provisioner;
  };
  // A cluster of `brokers up --cluster N` when the run asks for one (never started here).
  const cluster = broker ? await clusterPlacement(broker, plan, (l) => io.err(`${l}\n`)) : undefined;
  if (cluster) Object.assign(placement, cluster);
  else if (broker) {
    const provisioner = await provision();
    io.err(`brokerproof: ${broker} from ${provisioner.kind} provisioning (${provisioner.reason})\n`);
    placement.endpoint = (await provisioner.up([broker]))[broker];
    placement.native = provisioner.kind === 'local';
    placement.version = () => provisioner.version(broker);
  }
  const makeDriver = async () =>
    withCustomSetups(await createDriver(plan.driver, plan.settings, placement), plan.customSetups);
  const select = (driver: Awaited<ReturnType<typeof makeDriver>>) => {
    const selected = selectTargets(
      driver,
      { setups: plan.setups, scenarios: plan.scenarios, variant: plan.variant },
      plan.override,
    );
    return plan.handler
      ? withHandlerTargets(selected, plan.handler, plan.scenarios, plan.handlerStore, plan.override)
      : selected;
  };
  let driver = await makeDriver();
  let dedicated: DedicatedBroker | undefined;
  try {
    let { targets, skipped } = select(driver);
    // power-loss, and setups with server settings of their own, get a broker of the run's own.
    if (broker && !cluster) {
      const setups = [...new Set(targets.map((t) => t.setup))];
      dedicated = await dedicatedFor(broker, plan.faults, setups, provisioner?.kind, (l) => io.err(`${l}\n`));
      if (dedicated) {
        await driver.close();
        placement.endpoint = dedicated.endpoint;
        driver = await makeDriver();
        ({ targets, skipped } = select(driver));
      }
    }
    if (targets.length === 0) {
      throw new UsageError(`nothing to run: no selected scenario fits the selected setups of ${plan.driver}`);
    }
    const store = targets.some((t) => t.scenario.store) ? await chooseStore(plan, io, provision) : undefined;
    for (const fault of plan.faults) {
      const { kind, role } = parseFaultSpec(fault)!; // validated by resolveRunPlan
      const storeTargets = store?.kind === 'postgres' ? store.faultTargets : undefined;
      const brokerTargets = { ...driver.faultTargets, perConsumer: driver.capabilities.consumerVia === true };
      const reason = Nemesis.unsupported(kind, brokerTargets, role, storeTargets);
      if (reason) {
        const into = role === 'store' ? 'the store' : `driver ${driver.name}`;
        throw new UsageError(`--faults ${fault} cannot be injected into ${into}: ${reason}`, {
          hint:
            role === 'store'
              ? '@store faults need a scenario with a store (idempotent-consumer, outbox, dual-write) and --store postgres from `brokerproof brokers up`.'
              : role === 'consumer'
                ? `@consumer faults need a driver that connects each consumer through one address (rabbitmq, nats, sqs on ElasticMQ or moto) on a broker from \`brokerproof brokers up\`; with ${driver.name}, use @consumers to cut every consumer.`
                : 'Network faults need a broker behind Toxiproxy, broker faults a native one (`brokerproof brokers up`); the memory driver takes consumer-crash and producer-crash.',
        });
      }
    }
    clearReportDir(plan.outDir);
    const controller = new AbortController();
    const stopListening = onInterrupt(controller, io);
    try {
      const reporters = [...(options.progress ? [consoleReporter()] : []), ...fileReporters()];
      const soak = plan.soakMinutes !== undefined ? soakWorkload(plan.soakMinutes) : undefined;
      const messages = plan.messages ?? soak?.messages;
      return await run({
        targets,
        skipped,
        runs: plan.runs,
        seed: plan.seed,
        path: options.path,
        messages,
        faults: plan.faults,
        workload: soak?.workload,
        outDir: plan.outDir,
        timeouts: plan.timeouts,
        reporters,
        signal: controller.signal,
        log: (message) => io.err(`${message}\n`),
        toolVersion: TOOL_VERSION,
        settings: {
          drivers: { ...plan.settings },
          messages,
          timeouts: plan.timeouts,
          isolation: plan.isolation,
          ...(plan.soakMinutes !== undefined && { soakMinutes: plan.soakMinutes }),
        },
        isolation: plan.isolation,
        store,
        shrinkMs: options.path === undefined ? plan.shrinkSeconds * 1000 : 0,
      });
    } finally {
      stopListening();
    }
  } finally {
    // Bounded, so an interrupted run exits promptly even if the broker does not answer.
    await bounded(
      'closing the driver',
      3_000,
      () => driver.close(),
      (m) => io.err(`brokerproof: ${m}\n`),
    );
    await dedicated?.close();
  }
}

/** The store scenarios keep their state in: printed, and PostgreSQL provisioned like a broker. */
async function chooseStore(
  plan: RunPlan,
  io: CliIo,
  provision: () => Promise<Provisioner>,
): Promise<StoreChoice> {
  if (plan.store === 'memory') {
    io.err('brokerproof: scenario state in the memory store (consumers run in this process)\n');
    // The memory driver's anomaly switches reach the memory store too (the event store's).
    const anomalies = plan.settings.memory?.anomalies as Record<string, number> | undefined;
    return { kind: 'memory', ...(anomalies && { anomalies }) };
  }
  const provisioner = await provision();
  const store = await provisionStore(provisioner);
  io.err(
    `brokerproof: scenario state in PostgreSQL (${provisioner.kind} provisioning, ${store.endpoint.redacted})\n`,
  );
  return { kind: 'postgres', url: store.endpoint.connectionString, faultTargets: store.faultTargets };
}

export function registerRunCommand(program: Command, io: CliIo): void {
  program
    .command('run')
    .description(
      'run scenarios against a driver and write brokerproof-report/ (default: every scenario on the memory broker)',
    )
    .option('--config <file>', 'config file (default: brokerproof.config.{ts,mjs,json} in this directory)')
    .option('--driver <name>', 'driver to run against (default: memory)')
    .option('--setup <names>', 'setups of the driver, comma-separated', listValue)
    .option('--scenario <names>', 'scenarios, comma-separated', listValue)
    .option('--variant <name>', "the scenario's variant (default: its first; see docs/scenarios.md)")
    .option(
      '--store <kind>',
      'where scenarios with a store keep state: postgres (default with a real broker) or memory (default with the memory driver)',
      storeValue,
    )
    .option('--guarantee <g>', 'replace the delivery guarantee the setup claims', guaranteeValue)
    .option(
      '--ordering <o>',
      'replace the ordering the setup claims (none, per-key, per-partition, total)',
      orderingValue,
    )
    .option(
      '--max-attempts <n>',
      'claim poison messages are dead-lettered after n deliveries',
      positiveInt('--max-attempts'),
    )
    .option(
      '--projection <claim>',
      'replace what the projections of event-sourcing / cqrs claim (exactly-once, at-least-once, idempotent-by-version)',
      projectionValue,
    )
    .option(
      '--max-staleness <ms>',
      'claim reads of read models lag acknowledged writes by at most this long (event-sourcing / cqrs)',
      nonNegativeNumber('--max-staleness'),
    )
    .option(
      '--concurrency <claim>',
      "replace how the event store claims to keep a stream's writers apart (optimistic: several writers a stream; single-writer: one)",
      concurrencyValue,
    )
    .option(
      '--faults <kinds>',
      `faults to inject, comma-separated (${FAULT_KINDS.join(', ')}, or none; a network fault may target @producers, @consumers or @consumer (one drawn consumer); default consumer-crash)`,
      listValue,
    )
    .option('--runs <n>', 'cases fast-check draws per scenario (default 3)', positiveInt('--runs'))
    .option('--seed <n>', 'fast-check seed (default: random, printed)', seedValue)
    .option('--messages <n>', 'messages per case (default: drawn)', positiveInt('--messages'))
    .option(
      '--soak <minutes>',
      'soak: each case loads for this many minutes, paced, with faults drawn throughout (about one per 20 s; messages default to 50 a second)',
      soakMinutesValue,
    )
    .option('--out <dir>', 'report directory (default: brokerproof-report)')
    .option(
      '--isolation <mode>',
      'consumers inline (in this process) or process (each its own; crashes are SIGKILLs)',
      isolationValue,
    )
    .option(
      '--shrink-time <seconds>',
      `on the first violation, shrink it to a minimal counterexample for up to this long (0: run every case; default ${DEFAULT_SHRINK_SECONDS})`,
      nonNegativeNumber('--shrink-time'),
    )
    .option(
      '--provision <mode>',
      'where brokers come from: auto (default), local, docker or external (config `endpoints`)',
    )
    .option(
      '--cluster [nodes]',
      'run on the cluster of `brokers up --cluster N` (implied by cluster faults and cluster setups; docs/clusters.md)',
      positiveInt('--cluster'),
    )
    .option('--json', 'print one JSON document on stdout (progress still goes to stderr)')
    .option('--no-progress', 'no progress output on stderr')
    .action(async (flags: RunFlags) => {
      const { config } = await loadConfig(flags.config);
      const plan = resolveRunPlan(flags, config);
      const result = await executeRun(plan, io, {
        json: flags.json === true,
        progress: flags.progress !== false,
      });
      if (flags.json) printJson(io, runJson(result, plan.outDir));
      io.exit(exitCodeFor(result.valid));
    });
}
