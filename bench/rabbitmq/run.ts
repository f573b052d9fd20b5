// RabbitMQ throughput: publish with confirms, then consume with manual acks, through the harness
// (driver + recording clients + history file) versus raw amqplib doing the same work, in one run.
// Goal: the harness keeps at least 80% of raw throughput.
// Usage: npm run bench:rabbitmq [-- <messages>]      (brings RabbitMQ up through the provisioner)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import { CaseClock } from '../../core/clock.ts';
import { History, HistoryWriter } from '../../core/history-writer.ts';
import { seededRandom } from '../../core/random.ts';
import type { Setup } from '../../drivers/driver.ts';
import { RabbitmqDriver } from '../../drivers/rabbitmq/rabbitmq-driver.ts';
import { RABBITMQ_SETUPS } from '../../drivers/rabbitmq/setups.ts';
import { brokersUp, endpointsFor } from '../../provision/local/index.ts';
import { ConsumerClient } from '../../runner/consumer-client.ts';
import { MemoryEffectStore } from '../../runner/effect-store.ts';
import { planMessages } from '../../runner/messages.ts';
import { runProducer } from '../../runner/producer-client.ts';
import type { Workload } from '../../scenarios/scenario.ts';

const MESSAGES = Number(process.argv[2] ?? 20_000);
const WINDOW = 256; // publishes in flight
const PREFETCH = 500;
const PAYLOAD = 64;

const { failures } = await brokersUp({ only: ['rabbitmq'], log: (l) => process.stderr.write(`${l}\n`) });
if (failures.length) throw new Error(`RabbitMQ did not come up: ${failures[0]!.message}`);
const { url } = endpointsFor('rabbitmq');
const base: Setup = RABBITMQ_SETUPS.find((s) => s.name === 'quorum')!;
const setup: Setup = { ...base, options: { ...base.options, prefetch: PREFETCH } };

const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));

async function raw(): Promise<{ publish: number; consume: number }> {
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  const queue = `bp.bench.raw.${Date.now()}`;
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  const body = Buffer.alloc(PAYLOAD);
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < MESSAGES) {
      const id = `m${next++}`;
      await new Promise<void>((resolve, reject) =>
        // The same metadata the harness carries: id, key, poison flag.
        channel.sendToQueue(
          queue,
          body,
          { persistent: true, messageId: id, headers: { 'bp-key': undefined, 'bp-poison': false } },
          (e: Error | null) => (e ? reject(e) : resolve()),
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  const publishMs = performance.now() - started;
  const consumer = await connection.createChannel();
  await consumer.prefetch(PREFETCH);
  let consumed = 0;
  // Both sides time consumption from the first delivery to the last ack (connecting is not consuming).
  let consumeStarted = 0;
  await new Promise<void>((resolve) => {
    void consumer.consume(queue, (m) => {
      if (!m) return;
      if (consumed === 0) consumeStarted = performance.now();
      consumer.ack(m);
      if (++consumed === MESSAGES) resolve();
    });
  });
  const consumeMs = performance.now() - consumeStarted;
  await channel.deleteQueue(queue);
  await connection.close();
  return { publish: rate(MESSAGES, publishMs), consume: rate(MESSAGES, consumeMs) };
}

async function harness(): Promise<{ publish: number; consume: number; events: number }> {
  const driver = new RabbitmqDriver({ url });
  const dir = mkdtempSync(join(tmpdir(), 'bp-bench-'));
  const writer = new HistoryWriter(join(dir, 'history.ndjson'));
  const history = new History(writer, new CaseClock());
  const recorder = { record: (e: Parameters<History['record']>[0]) => void history.record(e) };
  const topology = await driver.createTopology(
    { caseId: `bench-${Date.now()}`, setup, groups: ['default'], partitions: 1, seed: 1 },
    { signal: new AbortController().signal, log: () => {} },
  );
  const workload: Workload = {
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
    sendIntervalMs: 0,
    faults: [],
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
  let processed = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  let consumeStarted = 0;
  history.onEvent((e) => {
    if (e.f === 'deliver' && consumeStarted === 0) consumeStarted = performance.now();
    if (e.f === 'ack' && e.type !== 'invoke' && ++processed === MESSAGES) done();
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
if (only === 'harness') {
  console.log(await harness());
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
  phase: k === 'publish' ? 'publish + confirm' : 'consume + ack',
  rawMsgPerSec: median(raws, k),
  harnessMsgPerSec: median(harnesses, k),
  harnessShare: `${Math.round((median(harnesses, k) / median(raws, k)) * 100)}%`,
}));
console.log(
  `RabbitMQ ${MESSAGES} persistent ${PAYLOAD}-byte messages, quorum queue, ${WINDOW} publishes in flight, prefetch ${PREFETCH}, median of ${ROUNDS} rounds`,
);
console.table(rows);
console.log(`history events recorded per harness run: ${harnesses[0]!.events}; goal: harness ≥ 80% of raw`);
