/**
 * Protocol-level health: one real produce/consume round trip with each broker's official client
 * (kafkajs, amqplib, @nats-io/*, @aws-sdk/client-sqs + client-sns, @google-cloud/pubsub) — for the
 * PostgreSQL store a `SELECT 1` with node-postgres — not an open port. `brokers up` waits on these; the integration tests time them to prove Toxiproxy is in the path.
 * Clients are imported lazily so `brokers status` stays fast.
 */
import { randomUUID } from 'node:crypto';
import { BrokerUnavailableError, describeError } from '../core/errors.ts';
import type {
  BrokerEndpoint,
  KafkaEndpoint,
  NatsEndpoint,
  PostgresEndpoint,
  PubsubEndpoint,
  RabbitmqEndpoint,
  SqsEndpoint,
} from './endpoints.ts';

export interface RoundTripOptions {
  /** Whole round trip, connection included (default 20 s). */
  timeoutMs?: number;
}

export interface RoundTripResult {
  ms: number;
}

const HEALTH = 'brokerproof-health';

/** One produce/consume round trip through `endpoint`; throws BrokerUnavailableError on failure. */
export async function roundTrip(
  endpoint: BrokerEndpoint,
  options: RoundTripOptions = {},
): Promise<RoundTripResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const started = performance.now();
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const work = (async () => {
    switch (endpoint.broker) {
      case 'kafka':
        return kafkaRoundTrip(endpoint, cleanups, timeoutMs);
      case 'rabbitmq':
        return rabbitmqRoundTrip(endpoint, cleanups, timeoutMs);
      case 'nats':
        return natsRoundTrip(endpoint, cleanups, timeoutMs);
      case 'elasticmq':
      case 'moto':
        return sqsRoundTrip(endpoint, cleanups, timeoutMs);
      case 'pubsub':
        return pubsubRoundTrip(endpoint, cleanups);
      case 'postgres':
        return postgresRoundTrip(endpoint, cleanups, timeoutMs);
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no round trip within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([work, deadline]);
    return { ms: performance.now() - started };
  } catch (error) {
    work.catch(() => {});
    throw new BrokerUnavailableError(
      `${endpoint.broker} at ${endpoint.address}: round trip failed: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    clearTimeout(timer);
    for (const cleanup of cleanups.reverse()) {
      try {
        await Promise.race([cleanup(), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
      } catch {
        // best effort: the connection may already be gone
      }
    }
  }
}

/**
 * A round trip through the broker's own proxy, then through each role's (in parallel): a broker
 * is healthy only when every way in works (a Kafka started without its role listeners is not).
 */
export async function healthThroughEveryProxy(endpoint: BrokerEndpoint, timeoutMs: number): Promise<void> {
  await roundTrip(endpoint, { timeoutMs });
  const roles = Object.values(endpoint.roles ?? {}) as BrokerEndpoint[];
  await Promise.all(roles.map((role) => roundTrip(role, { timeoutMs })));
}

type Cleanups = Array<() => Promise<unknown> | unknown>;

async function kafkaRoundTrip(endpoint: KafkaEndpoint, cleanups: Cleanups, timeoutMs: number): Promise<void> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({
    clientId: 'brokerproof-health',
    brokers: endpoint.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: Math.min(10_000, timeoutMs),
    // A cluster that just started may still be spreading a new topic's metadata: retry on, within the deadline.
    retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  const admin = kafka.admin();
  cleanups.push(() => admin.disconnect());
  await admin.connect();
  if (endpoint.proxied && endpoint.brokers.length === 1) {
    // Clients reconnect to what the broker advertises: it must be the proxy they came through.
    const { brokers } = await admin.describeCluster();
    const advertised = brokers.map((b) => `${b.host}:${b.port}`);
    if (advertised.some((a) => a !== endpoint.address)) {
      throw new Error(
        `the listener behind ${endpoint.address} advertises ${advertised.join(', ')}: its clients would leave the proxy`,
      );
    }
  }
  const topics = await admin.listTopics();
  if (!topics.includes(HEALTH)) {
    try {
      await admin.createTopics({
        // On a cluster (min.insync.replicas 2) a single copy could not take an acks=-1 write.
        topics: [
          { topic: HEALTH, numPartitions: 1, replicationFactor: Math.min(3, endpoint.brokers.length) },
        ],
        waitForLeaders: true,
      });
    } catch (error) {
      if (!/already exists/i.test(describeError(error))) throw error;
    }
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  cleanups.push(() => producer.disconnect());
  await producer.connect();
  const value = randomUUID();
  const [sent] = await producer.send({ topic: HEALTH, acks: -1, messages: [{ value }] });
  if (!sent || sent.baseOffset === undefined) throw new Error('produce returned no offset');
  const consumer = kafka.consumer({
    groupId: `${HEALTH}-${randomUUID()}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });
  cleanups.push(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topic: HEALTH, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) reject(event.payload.error);
    });
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          if (message.value?.toString() === value) resolve();
        },
      })
      .catch(reject);
    consumer.seek({ topic: HEALTH, partition: sent.partition, offset: sent.baseOffset ?? '0' });
  });
}

async function rabbitmqRoundTrip(
  endpoint: RabbitmqEndpoint,
  cleanups: Cleanups,
  timeoutMs: number,
): Promise<void> {
  const amqp = await import('amqplib');
  const connection = await amqp.connect(endpoint.url, { timeout: Math.min(5000, timeoutMs) });
  connection.on('error', () => {});
  cleanups.push(() => connection.close());
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => {});
  const { queue } = await channel.assertQueue('', { exclusive: true, durable: false, autoDelete: true });
  const value = randomUUID();
  channel.sendToQueue(queue, Buffer.from(value));
  await channel.waitForConfirms();
  for (;;) {
    const message = await channel.get(queue, { noAck: true });
    if (message && message.content.toString() === value) return;
    if (!message) await sleep(20);
  }
}

async function natsRoundTrip(endpoint: NatsEndpoint, cleanups: Cleanups, timeoutMs: number): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream, jetstreamManager, DeliverPolicy } = await import('@nats-io/jetstream');
  const nc = await connect({
    servers: endpoint.servers,
    timeout: Math.min(5000, timeoutMs),
    reconnect: false,
    name: HEALTH,
  });
  cleanups.push(() => nc.close());
  const jsm = await jetstreamManager(nc, { timeout: Math.min(5000, timeoutMs) });
  const stream = 'BROKERPROOF_HEALTH';
  const subject = 'brokerproof.health';
  try {
    await jsm.streams.info(stream);
  } catch {
    await jsm.streams.add({ name: stream, subjects: [subject], max_msgs: 1000 });
  }
  const js = jetstream(nc, { timeout: Math.min(5000, timeoutMs) });
  const value = randomUUID();
  const ack = await js.publish(subject, value);
  const consumer = await js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: ack.seq,
  });
  const message = await consumer.next({ expires: Math.min(5000, timeoutMs) });
  if (!message) throw new Error('JetStream returned no message');
  if (message.string() !== value) throw new Error('JetStream returned another message');
}

async function sqsRoundTrip(endpoint: SqsEndpoint, cleanups: Cleanups, timeoutMs: number): Promise<void> {
  // The SDK warns once per process that releases after January 2027 need Node 22; the version is pinned.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const sqsModule = await import('@aws-sdk/client-sqs');
  const clientConfig = {
    endpoint: endpoint.endpoint,
    region: endpoint.region,
    credentials: endpoint.credentials,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 3000, requestTimeout: Math.min(10_000, timeoutMs) },
  };
  const sqs = new sqsModule.SQSClient(clientConfig);
  cleanups.push(() => sqs.destroy());
  const { QueueUrl } = await sqs.send(new sqsModule.CreateQueueCommand({ QueueName: HEALTH }));
  if (!QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
  const value = randomUUID();
  if (endpoint.sns) {
    const sns = await import('@aws-sdk/client-sns');
    const client = new sns.SNSClient(clientConfig);
    cleanups.push(() => client.destroy());
    const { TopicArn } = await client.send(new sns.CreateTopicCommand({ Name: HEALTH }));
    const attributes = await sqs.send(
      new sqsModule.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueArn = attributes.Attributes?.QueueArn;
    if (!TopicArn || !queueArn) throw new Error('SNS topic or queue ARN missing');
    await client.send(
      new sns.SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    await client.send(new sns.PublishCommand({ TopicArn, Message: value }));
  } else {
    await sqs.send(new sqsModule.SendMessageCommand({ QueueUrl, MessageBody: value }));
  }
  // Other round trips share the queue (each proxy of the broker is checked at once, other processes
  // check too): another's message goes straight back, and only leftovers of dead checks are deleted.
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new sqsModule.ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    let found = false;
    for (const { Body, ReceiptHandle, Attributes } of Messages) {
      const sent = Number(Attributes?.SentTimestamp);
      const stale = sent > 0 && Date.now() - sent > 60_000;
      if (Body === value || stale) {
        await sqs.send(new sqsModule.DeleteMessageCommand({ QueueUrl, ReceiptHandle }));
        if (Body === value) found = true;
      } else {
        await sqs.send(
          new sqsModule.ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle, VisibilityTimeout: 0 }),
        );
      }
    }
    if (found) return;
  }
}

async function pubsubRoundTrip(endpoint: PubsubEndpoint, cleanups: Cleanups): Promise<void> {
  // The emulator needs no credentials; without this, google-auth probes for a GCE metadata server and warns.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const { PubSub } = await import('@google-cloud/pubsub');
  const pubsub = new PubSub({
    projectId: endpoint.projectId,
    apiEndpoint: endpoint.apiEndpoint,
    emulatorMode: true,
  });
  cleanups.push(() => pubsub.close());
  const topic = pubsub.topic(HEALTH);
  const [exists] = await topic.exists();
  if (!exists) {
    try {
      await topic.create({ timeout: 5000 });
    } catch (error) {
      if ((error as { code?: number }).code !== 6) throw error;
    }
  }
  const [subscription] = await topic.createSubscription(`${HEALTH}-${randomUUID()}`, {
    gaxOpts: { timeout: 5000 },
  });
  cleanups.push(() => subscription.delete());
  cleanups.push(() => subscription.close());
  const value = randomUUID();
  await new Promise<void>((resolve, reject) => {
    subscription.on('message', (message: { data: Buffer; ack(): void }) => {
      message.ack();
      if (message.data.toString() === value) resolve();
    });
    subscription.on('error', reject);
    topic.publishMessage({ data: Buffer.from(value) }).catch(reject);
  });
}

async function postgresRoundTrip(
  endpoint: PostgresEndpoint,
  cleanups: Cleanups,
  timeoutMs: number,
): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    connectionString: endpoint.connectionString,
    connectionTimeoutMillis: Math.min(5000, timeoutMs),
    query_timeout: Math.min(10_000, timeoutMs),
    application_name: HEALTH,
  });
  // A connection cut while idle is reported as an event: without a listener it would crash us.
  client.on('error', () => {});
  cleanups.push(() => client.end());
  await client.connect();
  const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
  if (rows[0]?.one !== 1) throw new Error(`SELECT 1 returned ${JSON.stringify(rows)}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
