// SQS throughput: batch send, then long-polled batch receive + batch delete, through the harness
// (driver + recording clients + history file) versus the raw AWS SDK doing the same work, in one run.
// Goal: the harness keeps at least 80% of raw throughput.
// Usage: node --import tsx bench/sqs/run.ts [<messages>]
//   BENCH_IMPLEMENTATIONS=elasticmq,moto (default elasticmq)   BENCH_ROUNDS=3   BENCH_ONLY=harness
// Brings the emulators up through the provisioner (honours BROKERPROOF_*_PORT and BROKERPROOF_STATE_DIR).
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createSqsDriver } from '../../drivers/sqs/index.ts';
import { encodeBody, messageAttributes } from '../../drivers/sqs/messages.ts';
import { SQS_SETUPS } from '../../drivers/sqs/setups.ts';
import { endpointsFor } from '../../provision/local/index.ts';
import { planMessages } from '../../runner/messages.ts';
import { plainWorkload } from '../../scenarios/scenario.ts';
import type { PhaseMeter, RunningPhase, ServerPids } from '../shared/cpu.ts';
import { compare, ensureBroker, measureHarness, type RoundPhases } from '../shared/harness.ts';

const MESSAGES = Number(process.argv[2] ?? 5000);
const BATCHES_IN_FLIGHT = 16; // SendMessageBatch requests in flight
const WINDOW = BATCHES_IN_FLIGHT * 10; // harness sends in flight (gathered into batches of 10)
const RECEIVES_AHEAD = 20; // messages a consumer may hold (the driver's default)
const PAYLOAD = 64;
const VISIBILITY_S = 30;

type Emulator = 'elasticmq' | 'moto';
const implementations = (process.env.BENCH_IMPLEMENTATIONS ?? 'elasticmq').split(',') as Emulator[];

const processes = new Map<Emulator, ServerPids>();
for (const implementation of implementations)
  processes.set(implementation, await ensureBroker(implementation));

const workload = plainWorkload(MESSAGES, { payloadBytes: PAYLOAD });

async function raw(implementation: Emulator, meter: PhaseMeter): Promise<RoundPhases> {
  const endpoint = endpointsFor(implementation);
  const sqs = new SQSClient({
    endpoint: endpoint.endpoint,
    region: endpoint.region,
    credentials: endpoint.credentials,
    maxAttempts: 1,
  });
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `bp-bench-raw-${Date.now()}`,
      Attributes: { VisibilityTimeout: String(VISIBILITY_S) },
    }),
  );
  // The same messages and metadata the harness carries: base64 body, id/key/poison attributes.
  const messages = planMessages(workload);
  let next = 0;
  const sending = meter.start();
  const lane = async () => {
    while (next < messages.length) {
      const batch = messages.slice(next, next + 10);
      next += batch.length;
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: batch.map((m, k) => ({
            Id: String(k),
            MessageBody: encodeBody(m.payload),
            MessageAttributes: messageAttributes(m),
          })),
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: BATCHES_IN_FLIGHT }, lane));
  const send = sending.stop();
  // One consumer: receives run ahead while deletes are under way, holding at most RECEIVES_AHEAD.
  let consumed = 0;
  let held = 0;
  let consuming: RunningPhase | undefined;
  const deletes = new Set<Promise<unknown>>();
  while (consumed < MESSAGES) {
    if (held >= RECEIVES_AHEAD) {
      await Promise.race(deletes);
      continue;
    }
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: Math.min(10, RECEIVES_AHEAD - held),
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    if (Messages.length === 0) continue;
    consuming ??= meter.start();
    held += Messages.length;
    const request = sqs
      .send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: Messages.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle })),
        }),
      )
      .then(() => {
        held -= Messages.length;
        consumed += Messages.length;
      })
      .finally(() => deletes.delete(request));
    deletes.add(request);
  }
  await Promise.all(deletes);
  const consume = consuming!.stop();
  await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  sqs.destroy();
  return { send, consume };
}

const shape = { messages: MESSAGES, window: WINDOW, payloadBytes: PAYLOAD };
const setup = SQS_SETUPS.find((s) => s.name === 'standard')!;
for (const implementation of implementations) {
  const driver = await createSqsDriver(
    { implementation, visibilityTimeoutSeconds: VISIBILITY_S },
    { endpoint: endpointsFor(implementation), native: true },
  );
  await compare(
    `${implementation}: ${MESSAGES} ${PAYLOAD}-byte messages, standard queue, ${BATCHES_IN_FLIGHT} send batches in flight, one consumer holding up to ${RECEIVES_AHEAD}`,
    { send: 'SendMessageBatch', consume: 'receive + DeleteMessageBatch' },
    (meter) => raw(implementation, meter),
    (meter) =>
      measureHarness(
        driver,
        setup,
        shape,
        {
          name: 'sqs',
          settings: { sqs: { implementation, visibilityTimeoutSeconds: VISIBILITY_S } },
        },
        meter,
      ),
    { bench: `sqs (${implementation})`, messages: MESSAGES, servers: processes.get(implementation)! },
  );
  await driver.close();
}
process.exit(0);
