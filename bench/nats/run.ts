// NATS JetStream throughput: publish with publish acks, then consume from a durable pull consumer
// with explicit acks, through the harness (driver + recording clients + history file) versus raw
// nats.js doing the same work, in one run. Goal: the harness keeps at least 80% of raw throughput.
// Usage: node --import tsx bench/nats/run.ts [<messages>]   (brings NATS up through the provisioner)
//        BENCH_ROUNDS=3 (median of rounds), BENCH_ONLY=harness|raw
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, nanos } from '@nats-io/transport-node';
import type { Setup } from '../../drivers/driver.ts';
import { NatsDriver } from '../../drivers/nats/nats-driver.ts';
import { NATS_SETUPS } from '../../drivers/nats/setups.ts';
import { endpointsFor } from '../../provision/local/index.ts';
import type { PhaseMeter, RunningPhase } from '../shared/cpu.ts';
import { compare, ensureBroker, measureHarness, type RoundPhases } from '../shared/harness.ts';

const MESSAGES = Number(process.argv[2] ?? 20_000);
const WINDOW = 256; // publishes in flight
const PREFETCH = 500; // messages pulled / handled at once
const PAYLOAD = 64;

const processes = await ensureBroker('nats');
const { servers } = endpointsFor('nats');
const base: Setup = NATS_SETUPS.find((s) => s.name === 'jetstream')!;
const setup: Setup = { ...base, options: { ...base.options, prefetch: PREFETCH } };

async function raw(meter: PhaseMeter): Promise<RoundPhases> {
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
  const sending = meter.start();
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
  const send = sending.stop();
  const consumer = await js.consumers.get(stream, 'c');
  let consumed = 0;
  // Both sides time consumption from the first delivery to the last ack (connecting is not consuming).
  let consuming: RunningPhase | undefined;
  // The same consume mode the driver uses: a callback per message as it arrives.
  let finished!: () => void;
  const all = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const messages = await consumer.consume({
    max_messages: PREFETCH,
    callback: (m) => {
      if (consumed === 0) consuming = meter.start();
      // Any consumer reads what it got: the id (nats.js parses headers only when asked).
      if (!m.headers?.get('bp-id')) throw new Error('a message without an id');
      m.ack();
      if (++consumed === MESSAGES) finished();
    },
  });
  await all;
  const consume = consuming!.stop();
  await messages.close();
  await nc.flush();
  await jsm.streams.delete(stream);
  await nc.close();
  return { send, consume };
}

const shape = { messages: MESSAGES, window: WINDOW, payloadBytes: PAYLOAD };
await compare(
  `NATS JetStream ${MESSAGES} ${PAYLOAD}-byte messages, file storage, ${WINDOW} publishes in flight, ${PREFETCH} pulled at once`,
  { send: 'publish + publish ack', consume: 'pull + ack' },
  raw,
  (meter) =>
    measureHarness(
      new NatsDriver({ servers, ackWaitMs: 30_000 }),
      setup,
      shape,
      {
        name: 'nats',
        settings: { nats: { ackWaitMs: 30_000 } },
      },
      meter,
    ),
  { bench: 'nats', messages: MESSAGES, servers: processes },
);
process.exit(0);
