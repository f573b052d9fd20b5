// Kafka throughput: produce with acks=-1 (idempotent), then consume with a commit after every
// message, through the harness (driver + recording clients + history file) versus raw kafkajs doing
// the same work, in one run. Goal: the harness keeps at least 80% of raw throughput.
// Usage: node --import tsx bench/kafka/run.ts [<messages>]   (brings Kafka up through the provisioner;
// BROKERPROOF_KAFKA_VERSION picks the release, BENCH_ROUNDS the rounds, default 3)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { CaseClock } from '../../core/clock.ts';
import { History, HistoryWriter } from '../../core/history-writer.ts';
import { seededRandom } from '../../core/random.ts';
import { KafkaDriver } from '../../drivers/kafka/kafka-driver.ts';
import { brokersUp, endpointsFor } from '../../provision/local/index.ts';
import { ConsumerClient } from '../../runner/consumer-client.ts';
import { MemoryEffectStore } from '../../runner/effect-store.ts';
import { planMessages } from '../../runner/messages.ts';
import { runProducer } from '../../runner/producer-client.ts';
import type { Workload } from '../../scenarios/scenario.ts';

const MESSAGES = Number(process.argv[2] ?? 10_000);
const WINDOW = 256; // sends in flight
const PAYLOAD = 64;

const { failures, status } = await brokersUp({ only: ['kafka'], log: (l) => process.stderr.write(`${l}\n`) });
if (failures.length) throw new Error(`Kafka did not come up: ${failures[0]!.message}`);
const { brokers } = endpointsFor('kafka');
const version = status.brokers.kafka?.version ?? 'unknown';
const setup = new KafkaDriver({ brokers }).setups.find((s) => s.name === 'commit-after-process')!;

const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));

/**
 * The same work with kafkajs alone: an idempotent producer sending WINDOW messages per request
 * (what the harness's batching achieves with WINDOW sends in flight), then a consumer group member
 * committing offset + 1 after each message, as `eachMessage` code that commits manually does.
 */
async function raw(): Promise<{ produce: number; consume: number }> {
  const kafka = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bp.bench.raw.${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const body = Buffer.alloc(PAYLOAD);
  const started = performance.now();
  for (let next = 0; next < MESSAGES; next += WINDOW) {
    const messages = Array.from({ length: Math.min(WINDOW, MESSAGES - next) }, (_, k) => ({
      key: null,
      value: body,
      partition: 0,
      // The same metadata the harness carries: id and poison flag.
      headers: { 'bp-id': `m${next + k}`, 'bp-poison': '0' },
    }));
    await producer.send({ topic, acks: -1, messages });
  }
  const produceMs = performance.now() - started;
  await producer.disconnect();

  const groupId = `${topic}.group`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let consumed = 0;
  // Both sides time consumption from the first delivery to the last commit (joining is not consuming).
  let consumeStarted = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      if (consumed === 0) consumeStarted = performance.now();
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      if (++consumed === MESSAGES) done();
    },
  });
  await all;
  const consumeMs = performance.now() - consumeStarted;
  await consumer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.deleteGroups([groupId]).catch(() => {});
  await admin.disconnect();
  return { produce: rate(MESSAGES, produceMs), consume: rate(MESSAGES, consumeMs) };
}

async function harness(): Promise<{ produce: number; consume: number; events: number }> {
  const driver = new KafkaDriver({ brokers, minPartitions: 1 });
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
  const produceMs = performance.now() - started;
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
  return { produce: rate(MESSAGES, produceMs), consume: rate(MESSAGES, consumeMs), events: history.size };
}

// Rounds alternate which side goes first, so neither always gets the warmer broker; the median
// of the rounds is reported (a shared 2-core machine is noisy).
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const raws: { produce: number; consume: number }[] = [];
const harnesses: { produce: number; consume: number; events: number }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    raws.push(await raw());
    harnesses.push(await harness());
  } else {
    harnesses.push(await harness());
    raws.push(await raw());
  }
}
const median = (xs: { produce: number; consume: number }[], k: 'produce' | 'consume') => {
  const sorted = xs.map((x) => x[k]).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const rows = (['produce', 'consume'] as const).map((k) => ({
  phase: k === 'produce' ? 'produce, acks=-1, idempotent' : 'consume + commit per message',
  rawMsgPerSec: median(raws, k),
  harnessMsgPerSec: median(harnesses, k),
  harnessShare: `${Math.round((median(harnesses, k) / median(raws, k)) * 100)}%`,
}));
console.log(
  `Kafka ${version} via Toxiproxy, ${MESSAGES} ${PAYLOAD}-byte messages, 1 partition, ${WINDOW} sends in flight, median of ${ROUNDS} rounds`,
);
console.table(rows);
console.log(`history events recorded per harness run: ${harnesses[0]!.events}; goal: harness ≥ 80% of raw`);
