// RabbitMQ throughput: publish with confirms, then consume with manual acks, through the harness
// (driver + recording clients + history file) versus raw amqplib doing the same work, in one run.
// Goal: the harness keeps at least 80% of raw throughput.
// Usage: npm run bench:rabbitmq [-- <messages>]      (brings RabbitMQ up through the provisioner)
import amqp from 'amqplib';
import type { Setup } from '../../drivers/driver.ts';
import { RabbitmqDriver } from '../../drivers/rabbitmq/rabbitmq-driver.ts';
import { RABBITMQ_SETUPS } from '../../drivers/rabbitmq/setups.ts';
import { endpointsFor } from '../../provision/local/index.ts';
import type { PhaseMeter, RunningPhase } from '../shared/cpu.ts';
import { compare, ensureBroker, measureHarness, type RoundPhases } from '../shared/harness.ts';

const MESSAGES = Number(process.argv[2] ?? 20_000);
const WINDOW = 256; // publishes in flight
const PREFETCH = 500;
const PAYLOAD = 64;

const processes = await ensureBroker('rabbitmq');
const { url } = endpointsFor('rabbitmq');
const base: Setup = RABBITMQ_SETUPS.find((s) => s.name === 'quorum')!;
const setup: Setup = { ...base, options: { ...base.options, prefetch: PREFETCH } };

async function raw(meter: PhaseMeter): Promise<RoundPhases> {
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  const queue = `bp.bench.raw.${Date.now()}`;
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  // Through a fanout exchange bound to the queue, as the driver publishes (one exchange per case).
  const exchange = `${queue}.x`;
  await channel.assertExchange(exchange, 'fanout', { durable: true });
  await channel.bindQueue(queue, exchange, '');
  const body = Buffer.alloc(PAYLOAD);
  let next = 0;
  const sending = meter.start();
  const lane = async () => {
    while (next < MESSAGES) {
      const id = `m${next++}`;
      await new Promise<void>((resolve, reject) =>
        // The same metadata the harness carries (id, key, poison flag), mandatory as the driver publishes.
        channel.publish(
          exchange,
          '',
          body,
          {
            persistent: true,
            mandatory: true,
            messageId: id,
            headers: { 'bp-key': undefined, 'bp-poison': false },
          },
          (e: Error | null) => (e ? reject(e) : resolve()),
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  const send = sending.stop();
  const consumer = await connection.createChannel();
  await consumer.prefetch(PREFETCH);
  let consumed = 0;
  // Both sides time consumption from the first delivery to the last ack (connecting is not consuming).
  let consuming: RunningPhase | undefined;
  await new Promise<void>((resolve) => {
    void consumer.consume(queue, (m) => {
      if (!m) return;
      if (consumed === 0) consuming = meter.start();
      consumer.ack(m);
      if (++consumed === MESSAGES) resolve();
    });
  });
  const consume = consuming!.stop();
  await channel.deleteQueue(queue);
  await channel.deleteExchange(exchange);
  await connection.close();
  return { send, consume };
}

const shape = { messages: MESSAGES, window: WINDOW, payloadBytes: PAYLOAD };
await compare(
  `RabbitMQ ${MESSAGES} persistent ${PAYLOAD}-byte messages, quorum queue, ${WINDOW} publishes in flight, prefetch ${PREFETCH}`,
  { send: 'publish + confirm', consume: 'consume + ack' },
  raw,
  (meter) =>
    measureHarness(new RabbitmqDriver({ url }), setup, shape, { name: 'rabbitmq', settings: {} }, meter),
  { bench: 'rabbitmq', messages: MESSAGES, servers: processes },
);
process.exit(0);
