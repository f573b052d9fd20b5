import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { zeroCounts } from '../checker/check.ts';
import { RetryIntervals } from '../checker/retry-intervals.ts';
import { CaseClock, sleep } from '../core/clock.ts';
import { describeError } from '../core/errors.ts';
import { DEFAULT_GROUP, HISTORY_VERSION, type Phase } from '../core/events.ts';
import { History, HistoryWriter } from '../core/history-writer.ts';
import { forkRandom } from '../core/random.ts';
import type { Recorder } from '../core/recorder.ts';
import type { CaseTopology, Driver } from '../drivers/driver.ts';
import type { DriverSettings } from '../drivers/index.ts';
import { FaultSchedule } from '../faults/fault-schedule.ts';
import { Nemesis } from '../faults/nemesis.ts';
import type { CasePlan, CaseResult } from './case.ts';
import { checkHistoryFile, eventsAt } from './check-history-file.ts';
import { ConsumerClient } from './consumer-client.ts';
import { DestinationReader, deadLetterEvent, outputEvent } from './destination-reader.ts';
import { MemoryEffectStore } from './effect-store.ts';
import { planMessages } from './messages.ts';
import { ProcessConsumer } from './process-consumer.ts';
import { ProducerClient } from './producer-client.ts';

export interface CaseTimeouts {
  /** Producers stop sending after this long. */
  loadMs: number;
  /** The drain gives up after this long (the verdict is then "unknown" unless something is definitely wrong). */
  drainMs: number;
  /** Consumers count as quiet after this long without a delivery, when the broker cannot report its backlog. */
  quietMs: number;
  /** A crashed consumer is started again after this long. */
  restartDelayMs: number;
}

export const DEFAULT_TIMEOUTS: CaseTimeouts = {
  loadMs: 60_000,
  drainMs: 20_000,
  quietMs: 2_000,
  restartDelayMs: 30,
};

/** Where consumers run: in the runner's process, or each in a worker process (a crash is a SIGKILL). */
export type Isolation = 'inline' | 'process';

export interface RunCaseOptions {
  outDir: string;
  /** Default: `process` when the driver can attach from another process, else `inline`. */
  isolation?: Isolation | undefined;
  /** The driver's settings, for worker processes that create their own driver. */
  driverSettings?: DriverSettings | undefined;
  timeouts?: Partial<CaseTimeouts>;
  /** Aborted on Ctrl-C: the case stops loading, skips the drain, and still tears down. */
  signal?: AbortSignal;
  log?: (message: string) => void;
}

export function groupNames(groups: number): string[] {
  return groups <= 1 ? [DEFAULT_GROUP] : Array.from({ length: groups }, (_, g) => `group-${g}`);
}

/**
 * Runs one case through its phases — setup, load, heal, drain, check, teardown — recording every
 * event to the case's history file as it happens. Teardown always runs; the history is on disk
 * whatever happens, and the verdict is read back from that file.
 */
export async function runCase(plan: CasePlan, driver: Driver, options: RunCaseOptions): Promise<CaseResult> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const signal = options.signal ?? new AbortController().signal;
  const log = options.log ?? (() => {});
  const started = Date.now();
  const { workload, scenario, setup } = plan;
  const groups = groupNames(workload.groups);
  const historyPath = join(options.outDir, 'histories', `${plan.id}.ndjson`);
  const writer = new HistoryWriter(historyPath, {
    type: 'meta',
    version: HISTORY_VERSION,
    caseId: plan.id,
    ...identity(plan),
    groups,
    faults: [...plan.faults],
    workload,
    startedAt: new Date(started).toISOString(),
  });
  const history = new History(writer, new CaseClock());
  const recorder: Recorder = { record: (event) => history.record(event) };
  const retries = new RetryIntervals();
  const phases: CaseResult['phases'] = [];
  const crashes: CaseResult['crashes'] = [];
  const faultTimeline: CaseResult['faultTimeline'] = [];
  history.onEvent((e) => {
    retries.add(e);
    if (e.f === 'phase') phases.push({ phase: e.phase, t: e.t, ...(e.cutOff === true && { cutOff: true }) });
    if (e.f === 'crash') crashes.push({ target: e.target, t: e.t });
    if (e.f === 'fault' && e.type !== 'invoke') {
      if (e.action === 'start') {
        faultTimeline.push({
          fault: e.fault,
          target: e.target,
          ...(e.params && { params: e.params }),
          startT: e.t,
          ...(e.type === 'fail' && { error: String(e.error ?? 'failed') }),
        });
      } else {
        const open = faultTimeline.findLast(
          (f) => f.fault === e.fault && f.target === e.target && f.stopT === undefined,
        );
        if (open) open.stopT = e.t;
      }
    }
  });
  const phase = (name: Phase, extra: Record<string, unknown> = {}) =>
    history.record({ p: 'harness', type: 'ok', f: 'phase', phase: name, ...extra });

  let topology: CaseTopology | undefined;
  let schedule: FaultSchedule | undefined;
  const consumers: ConsumerHandle[] = [];
  // Worker processes need a driver that can attach to a topology from elsewhere.
  const wanted = options.isolation ?? (driver.capabilities.processIsolation ? 'process' : 'inline');
  const isolation: Isolation = wanted === 'process' && driver.attach ? 'process' : 'inline';
  const effectsDir =
    isolation === 'process' ? mkdtempSync(join(tmpdir(), 'brokerproof-effects-')) : undefined;
  const readers: DestinationReader[] = [];
  // Consume-transform-produce when the scenario asks for it and the setup can.
  const pipeline = scenario.behaviour.pipeline === true && setup.pipeline !== undefined;
  let error: string | undefined;
  let diagnostics: Record<string, unknown> = {};

  try {
    phase('setup');
    topology = await driver.createTopology(
      {
        caseId: plan.id,
        setup,
        groups,
        partitions: workload.partitions,
        maxAttempts: plan.claim.maxAttempts,
        seed: workload.seed,
        output: pipeline,
      },
      { signal, log },
    );
    const effects = new MemoryEffectStore();
    for (const [g, group] of groups.entries()) {
      for (let c = 0; c < workload.consumersPerGroup; c++) {
        const name = groups.length > 1 ? `consumer-${g}-${c}` : `consumer-${c}`;
        const common = {
          name,
          group,
          behaviour: scenario.behaviour,
          workload,
          crashes: workload.crashes.filter((k) => k.group === g && k.consumer === c),
          ackOnDelivery: setup.ackMode === 'on-delivery',
          pipeline,
        };
        const client: ConsumerHandle =
          isolation === 'process'
            ? new ProcessConsumer(
                {
                  ...common,
                  driver: driver.name,
                  settings: options.driverSettings ?? {},
                  descriptor: topology.descriptor,
                  effectsDir: effectsDir!,
                  epochMs: history.clock.epochMs,
                },
                history,
                timeouts.restartDelayMs,
                log,
              )
            : new ConsumerClient({
                ...common,
                topology,
                recorder,
                effects,
                random: forkRandom(workload.seed, name),
                restartDelayMs: timeouts.restartDelayMs,
              });
        consumers.push(client);
        await client.start();
      }
      if (plan.claim.maxAttempts !== undefined && topology.deadLetterConsumer) {
        const name = groups.length > 1 ? `dlq-reader-${g}` : 'dlq-reader';
        const reader = new DestinationReader(
          await topology.deadLetterConsumer(name, group),
          recorder,
          deadLetterEvent(name, group),
        );
        readers.push(reader);
        await reader.start();
      }
    }
    if (pipeline) {
      if (!topology.outputConsumer)
        throw new Error(`setup ${setup.name} declares a pipeline but has no output reader`);
      const reader = new DestinationReader(
        await topology.outputConsumer('output-reader'),
        recorder,
        outputEvent('output-reader', groups[0]!),
      );
      readers.push(reader);
      await reader.start();
    }

    phase('load');
    const messages = planMessages(workload);
    const load = AbortSignal.any([signal, AbortSignal.timeout(timeouts.loadMs)]);
    // Every paced or retrying send waits on it: many listeners at once are expected.
    setMaxListeners(0, load);
    const producers = Array.from(
      { length: workload.producers },
      (_, p) =>
        new ProducerClient(
          topology!,
          messages.filter((m) => m.producer === p),
          {
            name: `producer-${p}`,
            recorder,
            window: scenario.behaviour.producerWindow,
            retries: scenario.behaviour.sendRetries ?? 0,
            intervalMs: workload.sendIntervalMs,
            signal: load,
          },
        ),
    );
    schedule = new FaultSchedule(
      workload.faults,
      new Nemesis(
        driver.faultTargets ?? {},
        recorder,
        {
          crash: async (index) => producers[index]?.crash(),
          restart: async (index) => producers[index]?.restart(),
        },
        log,
      ),
    );
    schedule.begin();
    await Promise.all(producers.map((producer) => producer.run()));

    if (!signal.aborted) {
      phase('heal');
      await schedule.end();
      await Promise.all(consumers.map((c) => c.heal()));
    }
    if (!signal.aborted) {
      phase('drain');
      const cutOff = await drain(
        topology,
        consumers,
        readers,
        { ...timeouts, settleMs: driver.capabilities.drainSettleMs },
        signal,
      );
      if (cutOff && !signal.aborted) phase('drain', { cutOff: true });
    }
    if (!signal.aborted) {
      // Everything the workers did before this moment is in the history before the check starts.
      await history.settle();
      phase('check');
    }
  } catch (e) {
    error = describeError(e);
    log(`case ${plan.id} failed: ${error}`);
  } finally {
    history.flush();
    writer.flush();
  }

  // The verdict comes from the file on disk: what was checked is what anyone can re-check.
  let checked: Awaited<ReturnType<typeof checkHistoryFile>> | undefined;
  try {
    checked = await checkHistoryFile(historyPath, { claim: plan.claim, groups });
  } catch (e) {
    error ??= `checker failed: ${describeError(e)}`;
  }

  try {
    // Whatever happened, no fault outlives its case: toxics removed, proxy enabled, broker awake.
    await schedule?.end();
    phase('teardown');
    await Promise.allSettled(consumers.map((c) => c.stop()));
    await Promise.allSettled(readers.map((r) => r.stop()));
    diagnostics = topology?.diagnostics?.() ?? {};
    await topology?.dispose();
  } catch (e) {
    error ??= `teardown failed: ${describeError(e)}`;
  } finally {
    history.flush();
    writer.close();
    if (effectsDir) rmSync(effectsDir, { recursive: true, force: true });
  }

  const result = checked?.result;
  const needed = new Set(result?.anomalies.flatMap((a) => a.events) ?? []);
  const evidence = await eventsAt(historyPath, needed).catch(() => ({}));
  const reasons = [...(result?.reasons ?? [])];
  if (error) reasons.push(error);
  if (signal.aborted) reasons.push('the run was interrupted');
  return {
    id: plan.id,
    ...identity(plan),
    // A definite violation stands even if the case broke off; otherwise an error means "could not decide".
    valid: result?.valid === false ? false : error || !result ? 'unknown' : result.valid,
    counts: result?.counts ?? zeroCounts(),
    groups: result?.groups ?? {},
    violations: result?.violations ?? [],
    reasons,
    anomalies: result?.anomalies ?? [],
    evidence,
    history: relative(options.outDir, historyPath),
    workload,
    faults: plan.faults,
    phases,
    crashes,
    faultTimeline,
    retryIntervals: retries.result(),
    diagnostics,
    events: history.size,
    durationMs: Date.now() - started,
    ...(error !== undefined && { error }),
  };
}

/**
 * Consumers read until the broker reports nothing outstanding and every handler is idle (or, when
 * the broker cannot tell, until nothing arrived for `quietMs`). True when the deadline cut it off.
 */
/** What names a case, in its meta line and in its result: enough to replay it. */
function identity(plan: CasePlan) {
  return {
    driver: plan.driver,
    setup: plan.setup.name,
    scenario: plan.scenario.name,
    guarantee: plan.claim,
    seed: plan.seed,
    path: plan.path,
  };
}

/** A consumer as the runner sees it, wherever it runs. */
interface ConsumerHandle {
  start(): Promise<void>;
  heal(): Promise<void>;
  stop(): Promise<void>;
  readonly idle: boolean;
  readonly lastActivity: number;
}

async function drain(
  topology: CaseTopology,
  consumers: readonly ConsumerHandle[],
  readers: readonly DestinationReader[],
  timeouts: CaseTimeouts & { settleMs: number },
  signal: AbortSignal,
): Promise<boolean> {
  const started = Date.now();
  const deadline = started + timeouts.drainMs;
  const { settleMs } = timeouts;
  while (!signal.aborted) {
    const idle = consumers.every((c) => c.idle) && readers.every((r) => r.idle);
    // Quiet is counted from the drain's start at the earliest: messages in flight to a consumer
    // (invisible to some brokers' backlog) may not have produced an event yet.
    const lastActivity = Math.max(
      started,
      ...consumers.map((c) => c.lastActivity),
      ...readers.map((r) => r.lastActivity),
    );
    const quietFor = Date.now() - lastActivity;
    const backlog = topology.backlog ? await topology.backlog() : undefined;
    if (idle && backlog === 0 && quietFor >= settleMs) return false;
    if (idle && backlog === undefined && quietFor >= timeouts.quietMs) return false;
    if (Date.now() > deadline) return true;
    await sleep(10, signal);
  }
  return false;
}
