import { setMaxListeners } from 'node:events';
import { sleep } from '../core/clock.ts';
import type { History } from '../core/history-writer.ts';
import { forkRandom } from '../core/random.ts';
import type { Recorder } from '../core/recorder.ts';
import type { CaseTopology, Driver } from '../drivers/driver.ts';
import type { DriverSettings } from '../drivers/index.ts';
import { FaultSchedule } from '../faults/fault-schedule.ts';
import { Nemesis } from '../faults/nemesis.ts';
import { handlerModuleOf, handlerStoreOf } from '../scenarios/kit/your-handler.ts';
import { type CasePlan, variantOf } from './case.ts';
import { CaseStore, STORE_URL_ENV, type StoreChoice } from './case-store.ts';
import { ConsumerClient, type IndexedCrash } from './consumer-client.ts';
import { ConsumerProxies } from './consumer-proxies.ts';
import type { CrashClaims } from './crash-claims.ts';
import { type CaseTimeouts, drainCapMs } from './deadlines.ts';
import { DestinationReader, deadLetterEvent, outputEvent } from './destination-reader.ts';
import { type DrainReport, DrainTrail } from './drain-report.ts';
import { MessagePlan } from './messages.ts';
import { PacedBacklog } from './paced-backlog.ts';
import { ProcessConsumer } from './process-consumer.ts';
import { type MessageSource, ProducerClient } from './producer-client.ts';
import { sendWindow, topologyPartitions } from './scale.ts';
import type { Settlement } from './settlement.ts';

/** Where consumers run: in the runner's process, or each in a worker process (a crash is a SIGKILL). */
export type Isolation = 'inline' | 'process';

/** A consumer as the runner sees it, wherever it runs. */
export interface ConsumerHandle {
  start(): Promise<void>;
  heal(): Promise<void>;
  stop(): Promise<void>;
  /** Ends it at once, where it runs in a process of its own (Ctrl-C). */
  kill?(): void;
  readonly idle: boolean;
  readonly lastActivity: number;
}

/** Everything one case holds while its phases run; teardown releases all of it. */
export interface CaseState {
  plan: CasePlan;
  driver: Driver;
  groups: string[];
  history: History;
  recorder: Recorder;
  timeouts: CaseTimeouts;
  isolation: Isolation;
  driverSettings: DriverSettings | undefined;
  /** Where the scenario keeps its state (when it keeps any). */
  storeChoice: StoreChoice;
  store?: CaseStore | undefined;
  claims: CrashClaims;
  /** Consume-transform-produce: the scenario asks for it and the setup can. */
  pipeline: boolean;
  signal: AbortSignal;
  log: (message: string) => void;
  topology?: CaseTopology;
  consumers: ConsumerHandle[];
  readers: DestinationReader[];
  producers: ProducerClient[];
  schedule?: FaultSchedule;
  /** One proxy per consumer, when a fault of the case targets one consumer's link. */
  consumerProxies?: ConsumerProxies | undefined;
  /** When the drain may end on the history's word that every message is settled (settlement.ts). */
  settlement?: Settlement | undefined;
}

/**
 * The case's per-consumer proxies, when one of its faults targets one consumer and the driver can
 * route a consumer through one (else that fault fails to start, saying why).
 */
async function createConsumerProxies(s: CaseState): Promise<ConsumerProxies | undefined> {
  const { workload, id } = s.plan;
  const link = s.driver.faultTargets?.roles?.consumers;
  if (!workload.faults.some((f) => f.role === 'consumer') || !s.driver.capabilities.consumerVia || !link)
    return undefined;
  const proxies = await ConsumerProxies.create(id, workload.groups * workload.consumersPerGroup, link);
  s.log(`case ${id}: ${proxies.refs.length} per-consumer proxies created in ${proxies.createMs} ms`);
  return proxies;
}

/** setup: the topology, every consumer subscribed, the dead-letter and output readers running. */
export async function setupPhase(s: CaseState): Promise<void> {
  const { plan, driver, groups, timeouts } = s;
  const { workload, setup } = plan;
  const context = { signal: s.signal, log: s.log };
  const topology = await driver.createTopology(
    {
      caseId: plan.id,
      setup,
      groups,
      partitions: topologyPartitions(workload),
      maxAttempts: plan.claim.maxAttempts,
      seed: workload.seed,
      output: s.pipeline,
    },
    context,
  );
  s.topology = topology;
  s.store = await CaseStore.create(
    plan.scenario,
    s.storeChoice,
    plan.id,
    variantOf(plan),
    topology.readKey?.bind(topology),
  );
  s.consumerProxies = await createConsumerProxies(s);
  for (const [g, group] of groups.entries()) {
    const crashes: IndexedCrash[] = workload.crashes
      .map((planned, index) => ({ index, plan: planned }))
      .filter((c) => c.plan.group === g);
    for (let c = 0; c < workload.consumersPerGroup; c++) {
      const name = groups.length > 1 ? `consumer-${g}-${c}` : `consumer-${c}`;
      const common = {
        name,
        group,
        // Consumers are numbered group by group, as `@consumer` faults count them.
        via: s.consumerProxies?.vias[g * workload.consumersPerGroup + c],
        variant: variantOf(plan),
        workload,
        crashes,
        ackOnDelivery: setup.ackMode === 'on-delivery',
        pipeline: s.pipeline,
      };
      const client: ConsumerHandle =
        s.isolation === 'process'
          ? new ProcessConsumer(
              {
                ...common,
                scenario: plan.scenario.name,
                handler: handlerModuleOf(plan.scenario),
                handlerStore: handlerStoreOf(plan.scenario),
                store: s.store?.spec,
                driver: driver.name,
                settings: s.driverSettings ?? {},
                descriptor: topology.descriptor,
                claimsDir: s.claims.dir,
                epochMs: s.history.clock.epochMs,
              },
              s.history,
              timeouts.restartDelayMs,
              s.log,
              s.storeChoice.kind === 'postgres' ? { [STORE_URL_ENV]: s.storeChoice.url } : {},
            )
          : new ConsumerClient({
              ...common,
              scenario: plan.scenario,
              topology,
              recorder: s.recorder,
              store: s.store?.opened,
              claims: s.claims,
              random: forkRandom(workload.seed, name),
              restartDelayMs: timeouts.restartDelayMs,
              log: s.log,
            });
      s.consumers.push(client);
      await client.start();
    }
    if (plan.claim.maxAttempts !== undefined && topology.deadLetterConsumer) {
      const name = groups.length > 1 ? `dlq-reader-${g}` : 'dlq-reader';
      const reader = new DestinationReader(
        await topology.deadLetterConsumer(name, group),
        s.recorder,
        deadLetterEvent(name, group),
      );
      s.readers.push(reader);
      await reader.start();
    }
  }
  if (s.pipeline) {
    if (!topology.outputConsumer)
      throw new Error(`setup ${setup.name} declares a pipeline but has no output reader`);
    const reader = new DestinationReader(
      await topology.outputConsumer('output-reader'),
      s.recorder,
      outputEvent('output-reader', groups[0]!),
    );
    s.readers.push(reader);
    await reader.start();
  }
}

/**
 * load: producers send (paced over the planned load when faults are scheduled) while the nemesis
 * runs the fault schedule. `stop` ends the producers' sending and retrying (the load deadline).
 */
export async function loadPhase(s: CaseState, stop: AbortSignal): Promise<void> {
  const { plan, topology } = s;
  const { workload, scenario } = plan;
  const messages = new MessagePlan(workload);
  // Every paced or retrying send waits on it: many listeners at once are expected.
  setMaxListeners(0, stop);
  s.producers = Array.from(
    { length: workload.producers },
    (_, p) =>
      new ProducerClient(
        topology!,
        producerMessages(messages, p),
        {
          name: `producer-${p}`,
          recorder: s.recorder,
          window: sendWindow(scenario.producing.window, workload, s.driver.capabilities.maxSendWindow),
          retries: scenario.producing.retries,
          retryUnknown: !(plan.claim.delivery === 'exactly-once' && plan.setup.resends === 'new-message'),
          intervalMs: workload.sendIntervalMs,
          signal: stop,
        },
        {
          index: p,
          workload,
          variant: variantOf(plan),
          claim: plan.claim,
          producing: scenario.producing,
          store: s.store?.opened,
          allFinished: () => s.producers.every((producer) => producer.unsettled === 0),
        },
      ),
  );
  s.schedule = new FaultSchedule(
    workload.faults,
    new Nemesis(
      {
        ...s.driver.faultTargets,
        consumers: s.consumerProxies?.refs,
        // The node leading this case's stream / partition / queue (isolate-leader, kill-leader).
        leader: topology?.leader ? () => topology.leader!() : undefined,
      },
      s.recorder,
      {
        crash: async (index) => s.producers[index]?.crash(),
        restart: async (index) => s.producers[index]?.restart(),
      },
      s.log,
      s.storeChoice.kind === 'postgres' ? s.storeChoice.faultTargets : undefined,
    ),
  );
  s.schedule.begin();
  await Promise.all(s.producers.map((producer) => producer.run()));
  // A fault that waited for its target (a killed broker still restarting) may still be due: the
  // load lasts until every drawn fault has acted and healed, or until its deadline.
  // The listener goes when the load ends: `stop` outlives the case until its timeout fires, and
  // a listener left on it kept the whole case (broker, recording, every message) alive with it.
  let onStop = () => {};
  const stopped = new Promise<void>((resolve) => {
    onStop = () => resolve();
    if (stop.aborted) resolve();
    stop.addEventListener('abort', onStop, { once: true });
  });
  try {
    await Promise.race([s.schedule.played, stopped]);
  } finally {
    stop.removeEventListener('abort', onStop);
  }
}

/** What the producers still wait on, for a load deadline's reason. */
export function loadOutstanding(s: CaseState): string | undefined {
  const unsent = s.producers.reduce((n, p) => n + p.unsettled, 0);
  return unsent > 0 ? `${unsent} messages not yet sent or answered` : undefined;
}

/** heal: every fault removed (and a drawn fault that never started recorded as cancelled), crashed consumers back. */
export async function healPhase(s: CaseState): Promise<void> {
  await s.schedule?.end();
  await Promise.all(s.consumers.map((c) => c.heal()));
}

/**
 * drain: consumers read until the broker reports nothing outstanding and every handler is idle (or,
 * when the broker cannot tell, until nothing arrived for `quietMs`). Where the case has a
 * settlement (settlement.ts), until it has been settled for `quietMs`, or to its deadline.
 * Says how it ended and what the backlog answered on the way (drain-report.ts).
 */
export async function drainPhase(s: CaseState): Promise<DrainReport> {
  const { timeouts, signal, topology } = s;
  const settleMs = s.driver.capabilities.drainSettleMs;
  const started = Date.now();
  const trail = new DrainTrail();
  // Progress (a delivery within the last quiet period) carries the deadline on, up to a hard cap.
  const hardDeadline = started + drainCapMs(timeouts.drainMs, s.plan.workload);
  let deadline = started + timeouts.drainMs;
  // How long a pause in progress may last before it counts as stuck: a Kafka consumer working a
  // backlog of 10^6 messages paused for 2.2 s (a fetch, a GC) and a quiet period of 2 s cut it off.
  const progressGraceMs = Math.max(timeouts.quietMs, timeouts.drainMs / 2);
  let settledSince: number | undefined;
  // Quiet is counted from the drain's start at the earliest: messages in flight to a consumer
  // (invisible to some brokers' backlog) may not have produced an event yet.
  const lastActivity = () =>
    Math.max(started, ...s.consumers.map((c) => c.lastActivity), ...s.readers.map((r) => r.lastActivity));
  const allIdle = () => s.consumers.every((c) => c.idle) && s.readers.every((r) => r.idle);
  const backlog = topology?.backlog
    ? new PacedBacklog(() => trail.ask(() => topology.backlog!()))
    : undefined;
  while (!signal.aborted) {
    // The backlog is asked only when its answer could end the drain (consumers idle and quiet for
    // the settle period), and paced by what it costs: ElasticMQ counts a queue by walking every
    // message in it, on the actor that also serves receives and deletes. Asked on every turn of
    // this loop, it held a drain of 500 000 queued messages to 400 a second.
    // The activity that decides is read after the answer: under load a broker can take longer to
    // answer than the quiet period, and consumers that kept working meanwhile must not be cut off
    // (a Kafka case of 10^6 messages was cut off that way, its one consumer delivering throughout).
    // Quiet for half the grace, the consumers are most likely done: an answer to a question asked
    // while they still worked no longer counts. Paced after slow answers, the next question could
    // otherwise come after the deadline: a 10^6-message SQS case on ElasticMQ with H2 storage
    // processed every message and was cut off 10 s later, unknown.
    const quietSince = lastActivity();
    const quietFor = Date.now() - quietSince;
    const couldEnd =
      s.settlement?.settled() !== false && allIdle() && quietFor >= Math.min(settleMs, timeouts.quietMs);
    const askedSince = quietFor >= progressGraceMs / 2 ? quietSince : undefined;
    const outstanding = backlog ? (couldEnd ? await backlog.ask(askedSince) : 'not asked') : undefined;
    const idle = allIdle();
    const last = lastActivity();
    const quiet = Date.now() - last;
    deadline = Math.max(deadline, Math.min(hardDeadline, last + progressGraceMs));
    // With a settlement, a message still unsettled holds the drain open to its deadline (it may
    // only be late); it then counts as missing if the broker had been quiet for the full settle.
    const settled = s.settlement?.settled();
    // Settled: redeliveries of processed messages (duplicates, which the claim allows) may go on;
    // they need not go quiet.
    settledSince = settled && idle && s.settlement?.shortens ? (settledSince ?? Date.now()) : undefined;
    if (settledSince !== undefined && Date.now() - settledSince >= timeouts.quietMs)
      return trail.report('settled');
    if (settled === false) {
      if (Date.now() > deadline) return trail.report(idle && quiet >= settleMs ? 'unsettled' : 'deadline');
      await sleep(10, signal);
      continue;
    }
    if (idle && outstanding === 0 && quiet >= settleMs) return trail.report('backlog-empty');
    if (idle && outstanding === undefined && quiet >= timeouts.quietMs) return trail.report('quiet');
    if (Date.now() > deadline) return trail.report('deadline');
    await sleep(10, signal);
  }
  return trail.report('interrupted');
}

/**
 * read-back: what the scenario's store holds once the case drained, recorded as `state` events —
 * the ground truth its checker family judges. A store that cannot be read makes the case unknown.
 */
export async function readBackPhase(s: CaseState): Promise<void> {
  if (!s.store) return;
  let events: Awaited<ReturnType<CaseStore['readBack']>>;
  try {
    events = await s.store.readBack(s.groups);
  } catch (error) {
    throw new Error(`the store could not be read back: ${(error as Error).message}`, { cause: error });
  }
  for (const event of events) s.recorder.record(event);
}

/** Planned consumer crashes no consumer took: recorded, so the verdict cannot say they were tested. */
export function recordCancelledCrashes(s: CaseState): void {
  for (const [index, crash] of s.plan.workload.crashes.entries()) {
    if (s.claims.claim(index)) {
      s.recorder.record({
        p: 'nemesis',
        type: 'fail',
        f: 'crash',
        target: s.groups[crash.group] ?? `group-${crash.group}`,
        point: crash.point,
        atDelivery: crash.atDelivery,
        plan: index,
        reason: 'cancelled',
      });
    }
  }
}

/** Producer p's share of the plan, each message made when it is sent. */
function producerMessages(plan: MessagePlan, producer: number): MessageSource {
  const numbers = plan.of(producer);
  return { size: numbers.length, message: (k) => plan.message(numbers[k]!) };
}
