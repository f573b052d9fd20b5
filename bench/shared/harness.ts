import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CaseClock } from '../../core/clock.ts';
import type { EventInput } from '../../core/events.ts';
import { History, HistoryWriter } from '../../core/history-writer.ts';
import { seededRandom } from '../../core/random.ts';
import type { Driver, Setup } from '../../drivers/driver.ts';
import type { BrokerName } from '../../provision/endpoints.ts';
import { brokersUp } from '../../provision/local/index.ts';
import { ConsumerClient } from '../../runner/consumer-client.ts';
import { CrashClaims } from '../../runner/crash-claims.ts';
import { planMessages } from '../../runner/messages.ts';
import { runProducer } from '../../runner/producer-client.ts';
import type { Workload } from '../../scenarios/scenario.ts';
import { workQueue } from '../../scenarios/work-queue/index.ts';

/**
 * What the broker benchmarks share: the harness side (a driver's producer and consumer through the
 * recording clients, with the history written to a file — exactly what a case does) and the
 * comparison with the raw client, in alternating rounds.
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

/** The broker through the project's provisioner (idempotent), or a clear failure. */
export async function ensureBroker(broker: BrokerName): Promise<void> {
  const { failures } = await brokersUp({ only: [broker], log: (line) => process.stderr.write(`${line}\n`) });
  if (failures.length) throw new Error(`${broker} did not come up: ${failures[0]!.message}`);
}

/**
 * Sends `messages` through the driver's producer and consumes them through one consumer, both
 * recording to a history file. Consumption is timed from the first delivery to the last ack.
 */
export async function measureHarness(
  driver: Driver,
  setup: Setup,
  shape: BenchShape,
): Promise<Rates & { events: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bp-bench-'));
  const writer = new HistoryWriter(join(dir, 'history.ndjson'));
  const history = new History(writer, new CaseClock());
  const recorder = { record: (e: EventInput) => history.record(e) };
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
    history.onEvent((e) => {
      if (e.f === 'deliver' && consumeStarted === 0) consumeStarted = performance.now();
      if (e.f === 'ack' && e.type !== 'invoke' && ++acked === shape.messages) done();
    });
    const consumer = new ConsumerClient({
      name: 'consumer-0',
      group: 'default',
      topology,
      recorder,
      scenario: workQueue,
      variant: '',
      workload,
      crashes: [],
      // No crash is planned, so nothing is ever claimed there.
      claims: new CrashClaims(tmpdir()),
      store: undefined,
      random: seededRandom(1),
      ackOnDelivery: false,
      restartDelayMs: 0,
    });
    await consumer.start();
    await all;
    const consumeMs = performance.now() - consumeStarted;
    await consumer.stop();
    return {
      send: rate(shape.messages, sendMs),
      consume: rate(shape.messages, consumeMs),
      events: history.size,
    };
  } finally {
    await topology.dispose();
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Raw client and harness in alternating rounds (so neither always meets the warmer broker), the
 * median of each printed side by side. `BENCH_ROUNDS` sets the rounds, `BENCH_ONLY=raw|harness`
 * runs one side once (for profiling).
 */
export async function compare(
  title: string,
  labels: { send: string; consume: string },
  raw: () => Promise<Rates>,
  harness: () => Promise<Rates & { events: number }>,
): Promise<void> {
  const only = process.env.BENCH_ONLY;
  if (only === 'raw' || only === 'harness') {
    console.log(only === 'raw' ? await raw() : await harness());
    return;
  }
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const raws: Rates[] = [];
  const harnesses: (Rates & { events: number })[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      raws.push(await raw());
      harnesses.push(await harness());
    } else {
      harnesses.push(await harness());
      raws.push(await raw());
    }
  }
  const median = (xs: Rates[], k: keyof Rates) => {
    const sorted = xs.map((x) => x[k]).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  const rows = (['send', 'consume'] as const).map((k) => ({
    phase: labels[k],
    rawMsgPerSec: median(raws, k),
    harnessMsgPerSec: median(harnesses, k),
    harnessShare: `${Math.round((median(harnesses, k) / median(raws, k)) * 100)}%`,
  }));
  console.log(`${title}, median of ${rounds} rounds`);
  console.table(rows);
  console.log(`history events recorded per harness run: ${harnesses[0]!.events}; goal: harness ≥ 80% of raw`);
}
