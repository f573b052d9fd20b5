import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaseClock } from '../../core/clock.ts';
import type { EventInput } from '../../core/events.ts';
import { History, HistoryWriter } from '../../core/history-writer.ts';
import { seededRandom } from '../../core/random.ts';
import type { Driver, Setup } from '../../drivers/driver.ts';
import type { DriverSettings } from '../../drivers/index.ts';
import type { BrokerName } from '../../provision/endpoints.ts';
import { brokersStatus, brokersUp } from '../../provision/local/index.ts';
import { ConsumerClient } from '../../runner/consumer-client.ts';
import { CrashClaims } from '../../runner/crash-claims.ts';
import { MessagePlan } from '../../runner/messages.ts';
import { ProcessConsumer } from '../../runner/process-consumer.ts';
import { ProducerClient } from '../../runner/producer-client.ts';
import { plainWorkload } from '../../scenarios/scenario.ts';
import { workQueue } from '../../scenarios/work-queue/index.ts';
import { type CpuPart, PhaseMeter, type PhaseSample, type RunningPhase, type ServerPids } from './cpu.ts';

/**
 * What the broker benchmarks share: the harness side (a driver's producer and consumer through the
 * recording clients, with the history written to a file — what a case does) and the comparison with
 * the raw client, in alternating rounds. As in a case, the consumer runs in a worker process of its
 * own and records down a pipe (`BENCH_ISOLATION=inline`: in this process, as a driver without
 * process isolation runs it).
 */

/**
 * One round of one side: how long each phase took and where its CPU went. Send: from the first send
 * to the last confirmation; consume: from the first delivery to the last ack.
 */
export interface RoundPhases {
  send: PhaseSample;
  consume: PhaseSample;
}

export interface BenchShape {
  messages: number;
  /** Sends in flight at once, on both sides. */
  window: number;
  payloadBytes: number;
}

export const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));

/**
 * The broker through the project's provisioner (idempotent), or a clear failure. A broker already
 * up is used as it is, without taking the provisioner's lock (another run may hold it).
 */
export async function ensureBroker(broker: BrokerName): Promise<ServerPids> {
  let status = await brokersStatus({ only: [broker] });
  if (!status.brokers[broker]?.up) {
    const { failures } = await brokersUp({
      only: [broker],
      log: (line) => process.stderr.write(`${line}\n`),
    });
    if (failures.length) throw new Error(`${broker} did not come up: ${failures[0]!.message}`);
    status = await brokersStatus({ only: [broker] });
  }
  return { broker: status.brokers[broker]?.pid ?? null, proxy: status.toxiproxy.pid };
}

/** How a consumer worker process makes the same driver: its name and settings (as in a config file). */
export interface WorkerDriver {
  name: string;
  settings: DriverSettings;
}

/** What the harness side of a round measured, and how many history events it recorded. */
export interface HarnessRound extends RoundPhases {
  events: number;
}

/**
 * Sends `messages` through the driver's producer and consumes them through one consumer, both
 * recording to a history file. Consumption is timed from the first delivery to the last ack.
 */
export async function measureHarness(
  driver: Driver,
  setup: Setup,
  shape: BenchShape,
  worker: WorkerDriver,
  meter: PhaseMeter,
): Promise<HarnessRound> {
  const dir = mkdtempSync(join(tmpdir(), 'bp-bench-'));
  const writer = new HistoryWriter(join(dir, 'history.ndjson'));
  const history = new History(writer, new CaseClock());
  const recorder = { record: (e: EventInput, json?: string) => history.record(e, json) };
  const topology = await driver.createTopology(
    { caseId: `bench-${Date.now()}`, setup, groups: ['default'], partitions: 1, seed: 1 },
    { signal: new AbortController().signal, log: () => {} },
  );
  const workload = plainWorkload(shape.messages, { payloadBytes: shape.payloadBytes });
  try {
    // As a case sends: a producer client taking each message from the plan as it sends it.
    const plan = new MessagePlan(workload);
    const producer = new ProducerClient(
      topology,
      plan,
      {
        name: 'producer-0',
        recorder,
        window: shape.window,
        retries: 0,
        signal: new AbortController().signal,
      },
      { index: 0, workload },
    );
    const sending = meter.start();
    await producer.run();
    const send = sending.stop();

    let acked = 0;
    let consuming: RunningPhase | undefined;
    let done!: () => void;
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const inline = process.env.BENCH_ISOLATION === 'inline';
    const consumer = inline
      ? new ConsumerClient({
          name: 'consumer-0',
          group: 'default',
          topology,
          recorder,
          scenario: workQueue,
          variant: '',
          workload,
          crashes: [],
          // No crash is planned, so nothing is ever claimed there.
          claims: new CrashClaims(dir),
          store: undefined,
          random: seededRandom(1),
          ackOnDelivery: false,
          restartDelayMs: 0,
        })
      : new ProcessConsumer(
          {
            driver: worker.name,
            settings: worker.settings,
            descriptor: topology.descriptor,
            name: 'consumer-0',
            group: 'default',
            scenario: workQueue.name,
            variant: '',
            workload,
            crashes: [],
            ackOnDelivery: false,
            pipeline: false,
            claimsDir: dir,
            epochMs: history.clock.epochMs,
          },
          history,
          0,
          (line) => process.stderr.write(`${line}\n`),
        );
    // The worker's CPU counts from its first delivery: starting a process (and compiling its
    // TypeScript) is not consuming, and the raw client's process started long before.
    history.onEvent((e) => {
      if (e.f === 'deliver' && consuming === undefined)
        consuming = meter.start(consumer instanceof ProcessConsumer ? consumer.pid : undefined);
      if (e.f === 'ack' && e.type !== 'invoke' && ++acked === shape.messages) done();
    });
    await consumer.start();
    await all;
    const consume = consuming!.stop();
    await consumer.stop();
    history.flush();
    return { send, consume, events: history.size };
  } finally {
    await topology.dispose();
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU µs per message of one side in one phase, by process, and their sum. */
export type CpuPerMessage = Record<CpuPart, number> & { total: number };

/** One row of `npm run bench`: a side of a broker, raw against harness (medians of rounds). */
export interface BenchRow {
  bench: string;
  side: 'send' | 'consume';
  phase: string;
  rawMsgPerSec: number;
  harnessMsgPerSec: number;
  ratio: number;
  /** min–max of harness/raw over the rounds, paired in the order they ran. */
  ratioSpread: [number, number];
  /**
   * CPU per message during the phase, by process: `bench` is the raw client, or the runner
   * (producers, recording, history); `worker` the harness's consumer worker process.
   */
  rawCpu: CpuPerMessage;
  harnessCpu: CpuPerMessage;
  /**
   * Raw's CPU per message over the harness's: the most of the raw rate the harness can keep on a
   * host that both keep busy (see `hostBusy`), whatever the recording path does.
   */
  cpuRatio: number;
  /** Share of the host's CPU in use during the phase (0–1), raw and harness. */
  rawHostBusy: number;
  harnessHostBusy: number;
  rounds: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const PARTS: CpuPart[] = ['bench', 'worker', 'broker', 'proxy'];

/** Median CPU µs per message of each part (and of their sum) over the rounds' samples of a phase. */
function cpuPerMessage(samples: PhaseSample[], messages: number): CpuPerMessage {
  const per = (s: PhaseSample, part: CpuPart) => s.cpuMicros[part] / messages;
  const out = {
    total: round1(median(samples.map((s) => PARTS.reduce((n, part) => n + per(s, part), 0)))),
  } as CpuPerMessage;
  for (const part of PARTS) out[part] = round1(median(samples.map((s) => per(s, part))));
  return out;
}

/**
 * Raw client and harness in alternating rounds (so neither always meets the warmer broker), the
 * median of each printed side by side. `BENCH_ROUNDS` sets the rounds, `BENCH_ONLY=raw|harness`
 * runs one side once (for profiling), `BENCH_JSON=1` prints the rows as one JSON line on stdout
 * (for `npm run bench`). CPU is counted per process for each phase: the benchmark process, the
 * consumer worker, the broker (with its child processes) and Toxiproxy.
 */
export async function compare(
  title: string,
  labels: { send: string; consume: string },
  raw: (meter: PhaseMeter) => Promise<RoundPhases>,
  harness: (meter: PhaseMeter) => Promise<HarnessRound>,
  /** `bench`: the name in `npm run bench`'s table; `messages`: sent and consumed per round. */
  options: { bench: string; messages: number; servers: ServerPids },
): Promise<void> {
  const meter = new PhaseMeter(options.servers);
  const only = process.env.BENCH_ONLY;
  if (only === 'raw' || only === 'harness') {
    const round = only === 'raw' ? await raw(meter) : await harness(meter);
    console.log({
      sendMsgPerSec: rate(options.messages, round.send.ms),
      consumeMsgPerSec: rate(options.messages, round.consume.ms),
      ...round,
    });
    return;
  }
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const raws: RoundPhases[] = [];
  const harnesses: RoundPhases[] = [];
  let events = 0;
  const harnessRound = async () => {
    const result = await harness(meter);
    events = result.events;
    return result;
  };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      raws.push(await raw(meter));
      harnesses.push(await harnessRound());
    } else {
      harnesses.push(await harnessRound());
      raws.push(await raw(meter));
    }
  }
  const { messages } = options;
  const rows: BenchRow[] = (['send', 'consume'] as const).map((side) => {
    const rawRates = raws.map((r) => rate(messages, r[side].ms));
    const harnessRates = harnesses.map((r) => rate(messages, r[side].ms));
    const ratios = rawRates.map((r, k) => harnessRates[k]! / r);
    const rawCpu = cpuPerMessage(
      raws.map((r) => r[side]),
      messages,
    );
    const harnessCpu = cpuPerMessage(
      harnesses.map((r) => r[side]),
      messages,
    );
    return {
      bench: options.bench,
      side,
      phase: labels[side],
      rawMsgPerSec: median(rawRates),
      harnessMsgPerSec: median(harnessRates),
      ratio: round2(median(ratios)),
      ratioSpread: [round2(Math.min(...ratios)), round2(Math.max(...ratios))],
      rawCpu,
      harnessCpu,
      cpuRatio: harnessCpu.total > 0 ? round2(rawCpu.total / harnessCpu.total) : 0,
      rawHostBusy: round2(median(raws.map((r) => r[side].hostBusy))),
      harnessHostBusy: round2(median(harnesses.map((r) => r[side].hostBusy))),
      rounds,
    };
  });
  if (process.env.BENCH_JSON === '1') {
    process.stdout.write(`${JSON.stringify({ title, events, rows })}\n`);
    return;
  }
  console.log(`${title}, median of ${rounds} rounds`);
  console.table(rows.map(tableRow));
  console.log(
    `history events recorded per harness run: ${events}; goal: harness ≥ 90% of raw. ` +
      `CPU µs/msg by process: ${CPU_LEGEND}`,
  );
}

/** How the CPU columns read, under a table. */
export const CPU_LEGEND = 'client or runner + consumer worker + broker + proxy = total';

/** A bench row as one line of a console table. */
export function tableRow(r: BenchRow): Record<string, string | number> {
  const cpu = (c: CpuPerMessage) => `${c.bench} + ${c.worker} + ${c.broker} + ${c.proxy} = ${c.total}`;
  return {
    phase: r.phase,
    'raw msg/s': r.rawMsgPerSec,
    'harness msg/s': r.harnessMsgPerSec,
    ratio: r.ratio,
    spread: r.ratioSpread.join('–'),
    'CPU ratio': r.cpuRatio,
    'raw CPU µs/msg': cpu(r.rawCpu),
    'harness CPU µs/msg': cpu(r.harnessCpu),
    'host busy': `${Math.round(r.rawHostBusy * 100)}% / ${Math.round(r.harnessHostBusy * 100)}%`,
  };
}
