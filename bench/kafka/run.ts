// Kafka throughput: produce with acks=-1 (idempotent), then consume with a commit after every
// message, through the harness (driver + recording clients + history file) versus raw kafkajs doing
// the same work, in one run. Goal: the harness keeps at least 80% of raw throughput.
// Usage: node --import tsx bench/kafka/run.ts [<messages>]   (brings Kafka up through the provisioner;
// BROKERPROOF_KAFKA_VERSION picks the release, BENCH_ROUNDS the rounds, default 3)
import { Kafka, logLevel } from 'kafkajs';
import { KafkaDriver } from '../../drivers/kafka/kafka-driver.ts';
import { brokersStatus, endpointsFor } from '../../provision/local/index.ts';
import type { PhaseMeter, RunningPhase } from '../shared/cpu.ts';
import { compare, ensureBroker, measureHarness, type RoundPhases } from '../shared/harness.ts';

const MESSAGES = Number(process.argv[2] ?? 10_000);
const WINDOW = 256; // sends in flight
const PAYLOAD = 64;

const processes = await ensureBroker('kafka');
const status = await brokersStatus({ only: ['kafka'] });
const { brokers } = endpointsFor('kafka');
const version = status.brokers.kafka?.version ?? 'unknown';
const setup = new KafkaDriver({ brokers }).setups.find((s) => s.name === 'commit-after-process')!;

/**
 * The same work with kafkajs alone: an idempotent producer sending WINDOW messages per request
 * (what the harness's batching achieves with WINDOW sends in flight), then a consumer group member
 * committing offset + 1 after each message, as `eachMessage` code that commits manually does.
 */
async function raw(meter: PhaseMeter): Promise<RoundPhases> {
  const kafka = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bp.bench.raw.${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const body = Buffer.alloc(PAYLOAD);
  const sending = meter.start();
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
  const send = sending.stop();
  await producer.disconnect();

  const groupId = `${topic}.group`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let consumed = 0;
  // Both sides time consumption from the first delivery to the last commit (joining is not consuming).
  let consuming: RunningPhase | undefined;
  let done!: () => void;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      if (consumed === 0) consuming = meter.start();
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      if (++consumed === MESSAGES) done();
    },
  });
  await all;
  const consume = consuming!.stop();
  await consumer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.deleteGroups([groupId]).catch(() => {});
  await admin.disconnect();
  return { send, consume };
}

const shape = { messages: MESSAGES, window: WINDOW, payloadBytes: PAYLOAD };
await compare(
  `Kafka ${version}, ${MESSAGES} ${PAYLOAD}-byte messages, acks=-1 idempotent, ${WINDOW} sends in flight, a commit per message`,
  { send: 'produce (acks=-1)', consume: 'consume + commit' },
  raw,
  (meter) =>
    measureHarness(
      new KafkaDriver({ brokers, minPartitions: 1 }),
      setup,
      shape,
      {
        name: 'kafka',
        settings: { kafka: { minPartitions: 1 } },
      },
      meter,
    ),
  { bench: 'kafka', messages: MESSAGES, servers: processes },
);
process.exit(0);
