// Google Pub/Sub (the Cloud SDK emulator) throughput: publish with the server's message id back,
// then consume by streaming pull with ackWithResponse, through the harness (driver + recording
// clients + history file) versus raw @google-cloud/pubsub doing the same work, in one run.
// Goal: the harness keeps at least 80% of raw throughput.
// Usage: node --import tsx bench/pubsub/run.ts [<messages>]   (brings the emulator up through the provisioner)
//        BENCH_ROUNDS=3 (median of rounds), BENCH_ONLY=harness|raw
import { Duration, type Message, PubSub } from '@google-cloud/pubsub';
import { createPubsubDriver } from '../../drivers/pubsub/index.ts';
import { PUBSUB_SETUPS } from '../../drivers/pubsub/setups.ts';
import { endpointsFor } from '../../provision/local/index.ts';
import type { PhaseMeter, RunningPhase } from '../shared/cpu.ts';
import { compare, ensureBroker, measureHarness, type RoundPhases } from '../shared/harness.ts';

const MESSAGES = Number(process.argv[2] ?? 5_000);
const WINDOW = 256; // publishes in flight
const PREFETCH = 500; // messages the subscriber holds at once (flow control)
const PAYLOAD = 64;

process.env.METADATA_SERVER_DETECTION ??= 'none';
const processes = await ensureBroker('pubsub');
const endpoint = endpointsFor('pubsub');
const setup = PUBSUB_SETUPS.find((s) => s.name === 'pull')!;

async function raw(meter: PhaseMeter): Promise<RoundPhases> {
  const client = new PubSub({
    projectId: endpoint.projectId,
    apiEndpoint: endpoint.apiEndpoint,
    emulatorMode: true,
  });
  const name = `bp-bench-raw-${Date.now()}`;
  const [created] = await client.createTopic(name);
  await created.createSubscription(`${name}-s`, { ackDeadlineSeconds: 10 });
  // The publisher and subscriber options the driver uses where they matter for speed.
  const topic = client.topic(name, { batching: { maxMessages: 100, maxMilliseconds: 5 } });
  const body = Buffer.alloc(PAYLOAD);
  let next = 0;
  const sending = meter.start();
  const lane = async () => {
    while (next < MESSAGES) {
      // The same metadata the harness carries: the id (and key, poison when set) as attributes.
      await topic.publishMessage({ data: body, attributes: { 'bp-id': `m${next++}` } });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  const send = sending.stop();
  const deadline = Duration.from({ seconds: 10 });
  const subscription = client.subscription(`${name}-s`, {
    flowControl: { maxMessages: PREFETCH, allowExcessMessages: true },
    streamingOptions: { maxStreams: 1 },
    minAckDeadline: deadline,
    maxAckDeadline: deadline,
    batching: { maxMessages: 100, maxMilliseconds: 10 },
  });
  let acked = 0;
  let consuming: RunningPhase | undefined;
  let finished!: () => void;
  const all = new Promise<void>((resolve) => {
    finished = resolve;
  });
  subscription.on('message', (m: Message) => {
    consuming ??= meter.start();
    if (!m.attributes['bp-id']) throw new Error('a message without an id');
    // The driver awaits each ack's response too (a confirmation on exactly-once subscriptions).
    void m.ackWithResponse().then(() => {
      if (++acked === MESSAGES) finished();
    });
  });
  await all;
  const consume = consuming!.stop();
  await subscription.close();
  await client.subscription(`${name}-s`).delete();
  await client.topic(name).delete();
  await client.close();
  return { send, consume };
}

const shape = { messages: MESSAGES, window: WINDOW, payloadBytes: PAYLOAD };
const driver = await createPubsubDriver({ flowControlMessages: PREFETCH }, { endpoint });
await compare(
  `Pub/Sub emulator ${MESSAGES} ${PAYLOAD}-byte messages, ${WINDOW} publishes in flight, ${PREFETCH} held at once`,
  { send: 'publish + message id', consume: 'streaming pull + ackWithResponse' },
  raw,
  (meter) =>
    measureHarness(
      driver,
      setup,
      shape,
      {
        name: 'pubsub',
        settings: { pubsub: { flowControlMessages: PREFETCH } },
      },
      meter,
    ),
  { bench: 'pubsub', messages: MESSAGES, servers: processes },
);
process.exit(0);
