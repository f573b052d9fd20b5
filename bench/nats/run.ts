// NATS JetStream throughput: publish with publish acks, then consume from a durable pull consumer
// with explicit acks, through the harness (driver + recording clients + history file) versus raw
// nats.js doing the same work, in one run. Goal: the harness keeps at least 80% of raw throughput.
// Usage: node --import tsx bench/nats/run.ts [<messages>]   (brings NATS up through the provisioner)
//        BENCH_ROUNDS=3 (median of rounds), BENCH_ONLY=harness|raw
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, nanos } from '@nats-io/transport-node';
import { CaseClock } from '../../core/clock.ts';
import { History, HistoryWriter } from '../../core/history-writer.ts';
import { seededRandom } from '../../core/random.ts';
import type { Setup } from '../../drivers/driver.ts';
import { NatsDriver } from '../../drivers/nats/nats-driver.ts';
import { NATS_SETUPS } from '../../drivers/nats/setups.ts';
import { brokersUp, endpointsFor } from '../../provision/local/index.ts';
import { ConsumerClient } from '../../runner/consumer-client.ts';
import { MemoryEffectStore } from '../../runner/effect-store.ts';
import { planMessages } from '../../runner/messages.ts';
import { runProducer } from '../../runner/producer-client.ts';
import type { Workload } from '../../scenarios/scenario.ts';

const MESSAGES = Number(process.argv[2] ?? 20_000);
const WINDOW = 256; // publishes in flight
const PREFETCH = 500; // messages pulled / handled at once
const PAYLOAD = 64;

const { failures } = await brokersUp({ only: ['nats'], log: (l) => process.stderr.write(`${l}\n`) });
if (failures.length) throw new Error(`NATS did not come up: ${failures[0]!.message}`);
const { servers } = endpointsFor('nats');
const base: Setup = NATS_SETUPS.find((s) => s.name === 'jetstream')!;
const setup: Setup = { ...base, options: { ...base.options, prefetch: PREFETCH } };

const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));

async function raw(): Promise<{ publish: number; consume: number }> {
  // The client options the driver uses where they matter for speed (no async stack traces).
  const nc = await connect({ servers, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const stream = `BP_bench_raw_${Date.now()}`;
  const subject = `bp.bench.raw.${Date.now()}`;
  await jsm.streams.add({ name: stream, subjects: [`${subject}.>`] });
  await jsm.consumers.add(stream, {
    durable_name: 'c',
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(30_000),
    max_ack_pending: 1000,
  });
  const body = new Uint8Array(PAYLOAD);
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < MESSAGES) {
      const id = `m${next++}`;
      // The same metadata the harness carries: id (and key, poison when set) in headers.
      const h = headers();
      h.set('bp-id', id);
      await js.publish(`${subject}._`, body, { headers: h });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  const publishMs = performance.now() - started;
  const consumer = await js.consumers.get(stream, 'c');
  let consumed = 0;
  // Both sides time consumption from the first delivery to the last ack (connecting is not consuming).
  let consumeStarted = 0;
  // The same consume mode the driver uses: a callback per message as it arrives.
  let finished!: () => void;
  const all = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const messages = await consumer.consume({
    max_messages: PREFETCH,
    callback: (m) => {
      if (consumed === 0) consumeStarted = performance.now();
      // Any consumer reads what it got: the id (nats.js parses headers only when asked).
      if (!m.headers?.get('bp-id')) throw new Error('a message without an id');
      m.ack();
      if (++consumed === MESSAGES) finished();
    },
  });
  await all;
  const consumeMs = performance.now() - consumeStarted;
  await messages.close();
  await nc.flush();
  await jsm.streams.delete(stream);
  await nc.close();
  return { publish: rate(MESSAGES, publishMs), consume: rate(MESSAGES, consumeMs) };
}

async function harness(): Promise<{ publish: number; consume: number; events: number }> {
  const driver = new NatsDriver({ servers, ackWaitMs: 30_000 });
  const dir = mkdtempSync(join(tmpdir(), 'bp-bench-'));
  const writer = new HistoryWriter(join(dir, 'history.ndjson'));
  const history = new History(writer, new CaseClock());
  const recorder = { record: (e: Parameters<History['record']>[0]) => void history.record(e) };
  const topology = await driver.createTopology(
    { caseId: `bench-${Date.now()}`, setup, groups: ['default'], partitions: 1, seed: 1 },
    { signal: new AbortController().signal, log: () => {} },
  );
  // Unpaced, no scheduled faults (fields of newer workloads; spread so older ones accept it too).
  const unpaced = { sendIntervalMs: 0, faults: [] };
  const workload: Workload = {
    ...unpaced,
    messages: MESSAGES,
    producers: 1,
    consumersPerGroup: 1,
    groups: 1,
    keys: 0,
    partitions: 1,
    poison: [],
    payloadBytes: PAYLOAD,
    maxProcessingMs: 0,
    transientFailureRate: 0,
    crashes: [],
    seed: 1,
  };
  const producer = await topology.producer('producer-0');
  const started = performance.now();
  await runProducer(planMessages(workload), {
    name: 'producer-0',
    dest: topology.dest,
    producer,
    recorder,
    window: WINDOW,
    retries: 0,
    signal: new AbortController().signal,
  });
  const publishMs = performance.now() - started;
  let acked = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  let consumeStarted = 0;
  history.onEvent((e) => {
    if (e.f === 'deliver' && consumeStarted === 0) consumeStarted = performance.now();
    if (e.f === 'ack' && e.type !== 'invoke' && ++acked === MESSAGES) done();
  });
  const consumer = new ConsumerClient({
    name: 'consumer-0',
    group: 'default',
    topology,
    recorder,
    behaviour: { ack: 'after-process', idempotent: false, producerWindow: WINDOW },
    workload,
    crashes: [],
    effects: new MemoryEffectStore(),
    random: seededRandom(1),
    ackOnDelivery: false,
    restartDelayMs: 0,
  });
  await consumer.start();
  await all;
  const consumeMs = performance.now() - consumeStarted;
  await consumer.stop();
  await producer.close();
  await topology.dispose();
  writer.close();
  rmSync(dir, { recursive: true, force: true });
  return { publish: rate(MESSAGES, publishMs), consume: rate(MESSAGES, consumeMs), events: history.size };
}

// Rounds alternate which side goes first, so neither always gets the warmer broker; the median
// of the rounds is reported (a shared 2-core machine is noisy).
const only = process.env.BENCH_ONLY;
if (only === 'harness' || only === 'raw') {
  console.log(only === 'harness' ? await harness() : await raw());
  process.exit(0);
}
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const raws: { publish: number; consume: number }[] = [];
const harnesses: { publish: number; consume: number; events: number }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    raws.push(await raw());
    harnesses.push(await harness());
  } else {
    harnesses.push(await harness());
    raws.push(await raw());
  }
}
const median = (xs: { publish: number; consume: number }[], k: 'publish' | 'consume') => {
  const sorted = xs.map((x) => x[k]).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const rows = (['publish', 'consume'] as const).map((k) => ({
  phase: k === 'publish' ? 'publish + publish ack' : 'pull + ack',
  rawMsgPerSec: median(raws, k),
  harnessMsgPerSec: median(harnesses, k),
  harnessShare: `${Math.round((median(harnesses, k) / median(raws, k)) * 100)}%`,
}));
console.log(
  `NATS JetStream ${MESSAGES} ${PAYLOAD}-byte messages, file storage, ${WINDOW} publishes in flight, ${PREFETCH} pulled at once, median of ${ROUNDS} rounds`,
);
console.table(rows);
console.log(`history events recorded per harness run: ${harnesses[0]!.events}; goal: harness ≥ 80% of raw`);
process.exit(0);
