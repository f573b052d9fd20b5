import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
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
import { planMessages } from '../../runner/messages.ts';
import { ProcessConsumer } from '../../runner/process-consumer.ts';
import { runProducer } from '../../runner/producer-client.ts';
import type { Workload } from '../../scenarios/scenario.ts';
import { workQueue } from '../../scenarios/work-queue/index.ts';

/**
 * What the broker benchmarks share: the harness side (a driver's producer and consumer through the
 * recording clients, with the history written to a file — what a case does) and the comparison with
 * the raw client, in alternating rounds. As in a case, the consumer runs in a worker process of its
 * own and records down a pipe (`BENCH_ISOLATION=inline`: in this process, as a driver without
 * process isolation runs it).
 */

/** Messages per second sent (with the broker's confirmation) and consumed (with acks). */
export interface Rates {
  send: number;
  consume: number;
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
export async function ensureBroker(broker: BrokerName): Promise<void> {
  const status = await brokersStatus({ only: [broker] });
  if (status.brokers[broker]?.up) return;
  const { failures } = await brokersUp({ only: [broker], log: (line) => process.stderr.write(`${line}\n`) });
  if (failures.length) throw new Error(`${broker} did not come up: ${failures[0]!.message}`);
}

/** How a consumer worker process makes the same driver: its name and settings (as in a config file). */
export interface WorkerDriver {
  name: string;
  settings: DriverSettings;
}

/** What the harness side of a round measured; `workerCpuMicros`: the consumer worker's CPU time. */
export interface HarnessRates extends Rates {
  events: number;
  workerCpuMicros: number;
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
): Promise<HarnessRates> {
  const dir = mkdtempSync(join(tmpdir(), 'bp-bench-'));
  const writer = new HistoryWriter(join(dir, 'history.ndjson'));
  const history = new History(writer, new CaseClock());
  const recorder = { record: (e: EventInput, json?: string) => history.record(e, json) };
  const topology = await driver.createTopology(
    { caseId: `bench-${Date.now()}`, setup, groups: ['default'], partitions: 1, seed: 1 },
    { signal: new AbortController().signal, log: () => {} },
  );
  const workload: Workload = {
    messages: shape.messages,
    producers: 1,
    consumersPerGroup: 1,
    groups: 1,
    keys: 0,
    partitions: 1,
    poison: [],
    payloadBytes: shape.payloadBytes,
    maxProcessingMs: 0,
    transientFailureRate: 0,
    sendIntervalMs: 0,
    loadMs: 0,
    faults: [],
    crashes: [],
    seed: 1,
  };
  try {
    const producer = await topology.producer('producer-0');
    const sendStarted = performance.now();
    await runProducer(planMessages(workload), {
      name: 'producer-0',
      dest: topology.dest,
      producer,
      recorder,
      window: shape.window,
      retries: 0,
      signal: new AbortController().signal,
    });
    const sendMs = performance.now() - sendStarted;
    await producer.close();

    let acked = 0;
    let consumeStarted = 0;
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
    const workerCpu = () => (consumer instanceof ProcessConsumer ? processCpuMicros(consumer.pid) : 0);
    let workerCpuAtStart = 0;
    history.onEvent((e) => {
      if (e.f === 'deliver' && consumeStarted === 0) {
        consumeStarted = performance.now();
        workerCpuAtStart = workerCpu();
      }
      if (e.f === 'ack' && e.type !== 'invoke' && ++acked === shape.messages) done();
    });
    await consumer.start();
    await all;
    const consumeMs = performance.now() - consumeStarted;
    const workerCpuMicros = workerCpu() - workerCpuAtStart;
    await consumer.stop();
    history.flush();
    return {
      send: rate(shape.messages, sendMs),
      consume: rate(shape.messages, consumeMs),
      events: history.size,
      workerCpuMicros,
    };
  } finally {
    await topology.dispose();
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU time (user + system) a process has used so far, from /proc (0 where there is none). */
function processCpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * (1_000_000 / CLOCK_TICKS_PER_SECOND) : 0;
  } catch {
    return 0;
  }
}

/** Linux's USER_HZ, the unit of /proc's CPU times: 100 on every architecture Node runs on here. */
const CLOCK_TICKS_PER_SECOND = 100;

/** One round of one side: its rates and the CPU time its processes spent, per message sent and consumed. */
interface Round extends Rates {
  cpuMicrosPerMessage: number;
}

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
  rawCpuMicrosPerMessage: number;
  harnessCpuMicrosPerMessage: number;
  rounds: number;
}

async function timedRound(
  run: () => Promise<Rates & { workerCpuMicros?: number }>,
  messages: number,
): Promise<Round> {
  const before = process.cpuUsage();
  const rates = await run();
  const cpu = process.cpuUsage(before);
  const micros = cpu.user + cpu.system + (rates.workerCpuMicros ?? 0);
  // Each message is sent once and consumed once in a round.
  return { send: rates.send, consume: rates.consume, cpuMicrosPerMessage: round2(micros / (2 * messages)) };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Raw client and harness in alternating rounds (so neither always meets the warmer broker), the
 * median of each printed side by side. `BENCH_ROUNDS` sets the rounds, `BENCH_ONLY=raw|harness`
 * runs one side once (for profiling), `BENCH_JSON=1` prints the rows as one JSON line on stdout
 * (for `npm run bench`). CPU is the bench's processes' (the clients, the recording, the consumer
 * worker), not the broker's.
 */
export async function compare(
  title: string,
  labels: { send: string; consume: string },
  raw: () => Promise<Rates>,
  harness: () => Promise<HarnessRates>,
  /** `bench`: the name in `npm run bench`'s table; `messages`: sent and consumed per round. */
  options: { bench: string; messages: number },
): Promise<void> {
  const only = process.env.BENCH_ONLY;
  if (only === 'raw' || only === 'harness') {
    console.log(only === 'raw' ? await raw() : await harness());
    return;
  }
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const raws: Round[] = [];
  const harnesses: Round[] = [];
  let events = 0;
  const harnessRound = () =>
    timedRound(async () => {
      const result = await harness();
      events = result.events;
      return result;
    }, options.messages);
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      raws.push(await timedRound(raw, options.messages));
      harnesses.push(await harnessRound());
    } else {
      harnesses.push(await harnessRound());
      raws.push(await timedRound(raw, options.messages));
    }
  }
  const rows: BenchRow[] = (['send', 'consume'] as const).map((side) => {
    const ratios = raws.map((r, k) => harnesses[k]![side] / r[side]);
    return {
      bench: options.bench,
      side,
      phase: labels[side],
      rawMsgPerSec: median(raws.map((r) => r[side])),
      harnessMsgPerSec: median(harnesses.map((r) => r[side])),
      ratio: round2(median(ratios)),
      ratioSpread: [round2(Math.min(...ratios)), round2(Math.max(...ratios))],
      rawCpuMicrosPerMessage: median(raws.map((r) => r.cpuMicrosPerMessage)),
      harnessCpuMicrosPerMessage: median(harnesses.map((r) => r.cpuMicrosPerMessage)),
      rounds,
    };
  });
  if (process.env.BENCH_JSON === '1') {
    process.stdout.write(`${JSON.stringify({ title, events, rows })}\n`);
    return;
  }
  console.log(`${title}, median of ${rounds} rounds`);
  console.table(
    rows.map((r) => ({
      phase: r.phase,
      rawMsgPerSec: r.rawMsgPerSec,
      harnessMsgPerSec: r.harnessMsgPerSec,
      ratio: r.ratio,
      spread: r.ratioSpread.join('–'),
      'raw CPU µs/msg': r.rawCpuMicrosPerMessage,
      'harness CPU µs/msg': r.harnessCpuMicrosPerMessage,
    })),
  );
  console.log(`history events recorded per harness run: ${events}; goal: harness ≥ 90% of raw`);
}
