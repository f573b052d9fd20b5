/**
 * Real brokers, real clients, real Toxiproxy. Runs an isolated set (own state directory, every port
 * shifted by +100) so it never disturbs brokers a developer or another test has running, and takes
 * it down at the end. Select it by name (`vitest run integration`); BROKERPROOF_INTEGRATION=0 skips it.
 *
 * For every broker: a round trip through the proxy with the official client works; a latency toxic
 * slows it measurably; a disabled proxy makes it fail; re-enabling restores it. Then process control:
 * RabbitMQ (durable queue), Kafka (topic), ElasticMQ and PostgreSQL keep their data across kill -9
 * and restart; a paused broker answers nothing until resumed. Then `down` leaves no process of ours.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../core/clock.ts';
import {
  BROKER_NAMES,
  type BrokerEndpoint,
  type BrokerName,
  hasRoleProxies,
  MESSAGE_BROKER_NAMES,
} from '../../provision/endpoints.ts';
import { roundTrip } from '../../provision/health.ts';
import {
  brokersDown,
  brokersStatus,
  brokersUp,
  endpointsFor,
  type LocalOptions,
  type UpResult,
} from '../../provision/local/index.ts';
import {
  killBroker,
  pauseBroker,
  restartBroker,
  resumeBroker,
  startBroker,
} from '../../provision/local/process-control.ts';
import { findOwned, portAnswers, processesIn } from '../../provision/local/processes.ts';
import { resolvePorts, shiftPorts } from '../../provision/ports.ts';
import { proveProxyInPath, proveRolesSeparate } from './proxy-checks.ts';

/** BROKERPROOF_INTEGRATION=0 skips it (it needs Java, Maven, Go, Python and RabbitMQ on the machine). */
const enabled = process.env.BROKERPROOF_INTEGRATION !== '0';
const stateDir = enabled
  ? mkdtempSync(join(tmpdir(), 'brokerproof-it-'))
  : join(tmpdir(), 'brokerproof-it-unused');
// PostgreSQL runs as an unprivileged user, who must be able to reach its data directory in here.
if (enabled) chmodSync(stateDir, 0o711);
const ports = shiftPorts(resolvePorts({}), Number(process.env.BROKERPROOF_TEST_PORT_OFFSET ?? 100));
const options: LocalOptions = {
  stateDir,
  ports,
  log: process.env.BROKERPROOF_TEST_VERBOSE ? (line) => process.stderr.write(`${line}\n`) : undefined,
};

describe.runIf(enabled)('native brokers behind Toxiproxy', { timeout: 120_000 }, () => {
  let up: UpResult;

  beforeAll(async () => {
    up = await brokersUp(options);
  }, 900_000);

  afterAll(async () => {
    await brokersDown({ ...options, purge: true });
    rmSync(stateDir, { recursive: true, force: true });
  }, 120_000);

  it('brings every broker up behind its proxy', async () => {
    expect(up.failures).toEqual([]);
    expect(up.up).toEqual([...BROKER_NAMES]);
    const status = await brokersStatus(options);
    expect(status.toxiproxy.up).toBe(true);
    for (const broker of BROKER_NAMES) {
      const s = status.brokers[broker]!;
      expect(s, broker).toMatchObject({
        up: true,
        proxied: true,
        endpoint: `${ports.host}:${ports[broker].proxy}`,
      });
      expect(s.pid, broker).toBeGreaterThan(0);
      expect(s.version, broker).toBeTruthy();
      expect(s.kind, broker).toBe(hasRoleProxies(broker) ? 'broker' : 'store');
      if (!hasRoleProxies(broker)) {
        expect(s.roles, broker).toBeUndefined();
        continue;
      }
      expect(s.roles, broker).toEqual({
        producers: {
          endpoint: `${ports.host}:${ports[broker].producers}`,
          proxy: `${broker}-producers`,
          proxied: true,
          proxyEnabled: true,
        },
        consumers: {
          endpoint: `${ports.host}:${ports[broker].consumers}`,
          proxy: `${broker}-consumers`,
          proxied: true,
          proxyEnabled: true,
        },
      });
    }
    expect(status.toxiproxy.proxies.map((p) => p.name).sort()).toEqual(
      BROKER_NAMES.flatMap((b) => (hasRoleProxies(b) ? [b, `${b}-producers`, `${b}-consumers`] : [b])).sort(),
    );
  });

  describe.each(BROKER_NAMES.map((b) => [b]))('%s', (broker: BrokerName) => {
    it('round trip through the proxy; latency toxic slows it; disabled proxy fails it; re-enabling restores it', async () => {
      const endpoint = endpointsFor(broker, options);
      expect(endpoint.port).toBe(ports[broker].proxy);
      await proveProxyInPath(endpoint as BrokerEndpoint);
    });
  });

  describe.each(MESSAGE_BROKER_NAMES.map((b) => [b]))('%s', (broker: BrokerName) => {
    it('producers and consumers through proxies of their own: cutting one leaves the others working', async () => {
      await proveRolesSeparate(endpointsFor(broker, options) as BrokerEndpoint);
    });
  });

  it('PostgreSQL keeps a committed row across kill -9 and restart; paused, it answers nothing', async () => {
    const { default: pg } = await import('pg');
    const connectionString = endpointsFor('postgres', options).connectionString;
    const sql = async (text: string) => {
      const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3000, query_timeout: 3000 });
      client.on('error', () => {});
      try {
        await client.connect();
        return (await client.query(text)).rows;
      } finally {
        await client.end().catch(() => {});
      }
    };
    await sql('CREATE TABLE IF NOT EXISTS durable (v text)');
    await sql("INSERT INTO durable VALUES ('survives')");
    const killed = await killBroker('postgres', options);
    expect(processesIn(join(stateDir, 'postgres', 'data'), 'postgres')).toEqual([]);
    const restarted = await startBroker('postgres', options);
    expect(restarted.pid).not.toBe(killed.pid);
    expect(await sql('SELECT v FROM durable')).toEqual([{ v: 'survives' }]);
    pauseBroker('postgres', options);
    try {
      await expect(roundTrip(endpointsFor('postgres', options), { timeoutMs: 3000 })).rejects.toThrow(
        /round trip failed/,
      );
    } finally {
      resumeBroker('postgres', options);
    }
    await roundTrip(endpointsFor('postgres', options), { timeoutMs: 10_000 });
  });

  it('RabbitMQ keeps a durable queue and its persistent message across kill -9 and restart', async () => {
    // A classic durable queue. (A quorum queue killed within seconds of being declared can come back
    // without its Ra server registered — RabbitMQ 3.10 syncs that registry lazily; see docs/brokers.md.)
    const queue = `durable-${Date.now()}`;
    await publishPersistent(queue, 'classic', 'survives');
    // Seen here about once in ten runs: a classic queue declared milliseconds before kill -9 was
    // gone after the restart (its definition not yet on disk), though the message was confirmed.
    // This test is about our restart keeping the data directory, so the node gets a moment first.
    await sleep(2_000);
    const killed = await killBroker('rabbitmq', options);
    const restarted = await startBroker('rabbitmq', options);
    expect(restarted.pid).not.toBe(killed.pid);
    expect(await getOne(queue)).toBe('survives');
  });

  it('RabbitMQ keeps a quorum queue across a graceful restart', async () => {
    const queue = `quorum-${Date.now()}`;
    await publishPersistent(queue, 'quorum', 'survives');
    const before = await brokersStatus({ ...options, only: ['rabbitmq'] });
    const restarted = await restartBroker('rabbitmq', { ...options, stop: 'graceful' });
    expect(restarted.pid).not.toBe(before.brokers.rabbitmq?.pid);
    expect(await getOne(queue)).toBe('survives');
  });

  it('Kafka keeps an acknowledged topic across kill -9 and restart', async () => {
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({ brokers: endpointsFor('kafka', options).brokers, logLevel: logLevel.NOTHING });
    const topic = `durable-${Date.now()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'survives' }] });
    await producer.disconnect();

    const killed = await killBroker('kafka', options);
    expect(await portAnswers(ports.host, ports.kafka.upstream, 500)).toBe(false);
    const restarted = await restartBroker('kafka', options);
    expect(restarted.pid).not.toBe(killed.pid);

    const consumer = kafka.consumer({ groupId: `g-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const value = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message after restart')), 60_000);
      consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve(String(message.value));
        },
      });
    });
    await consumer.disconnect();
    expect(value).toBe('survives');
  });

  it('ElasticMQ keeps queued messages across kill -9 and restart', async () => {
    const sqs = await import('@aws-sdk/client-sqs');
    const endpoint = endpointsFor('elasticmq', options);
    const client = new sqs.SQSClient({
      endpoint: endpoint.endpoint,
      region: endpoint.region,
      credentials: endpoint.credentials,
    });
    try {
      const { QueueUrl } = await client.send(
        new sqs.CreateQueueCommand({ QueueName: `durable-${Date.now()}` }),
      );
      expect(QueueUrl).toContain(`:${ports.elasticmq.proxy}/`);
      await client.send(new sqs.SendMessageCommand({ QueueUrl, MessageBody: 'survives' }));
      await restartBroker('elasticmq', options);
      const { Messages = [] } = await client.send(
        new sqs.ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }),
      );
      expect(Messages.map((m) => m.Body)).toEqual(['survives']);
    } finally {
      client.destroy();
    }
  });

  it('a paused broker answers nothing until resumed', async () => {
    const endpoint = endpointsFor('nats', options);
    await roundTrip(endpoint, { timeoutMs: 10_000 });
    pauseBroker('nats', options);
    try {
      expect((await brokersStatus({ ...options, only: ['nats'] })).brokers.nats?.paused).toBe(true);
      await expect(roundTrip(endpoint, { timeoutMs: 3000 })).rejects.toThrow(/round trip failed/);
    } finally {
      resumeBroker('nats', options);
    }
    await roundTrip(endpoint, { timeoutMs: 10_000 });
  });

  it('up is idempotent: a second up leaves the running processes alone', async () => {
    const before = await brokersStatus(options);
    const again = await brokersUp(options);
    expect(again.failures).toEqual([]);
    for (const broker of BROKER_NAMES)
      expect(again.status.brokers[broker]?.pid).toBe(before.brokers[broker]?.pid);
  });

  it('down stops every process of ours and nothing is left', async () => {
    const result = await brokersDown(options);
    expect(result.stopped.sort()).toEqual([...BROKER_NAMES, 'toxiproxy'].sort());
    expect(findOwned(stateDir)).toEqual([]);
    expect(processesIn(join(stateDir, 'postgres', 'data'), 'postgres')).toEqual([]);
    const status = await brokersStatus(options);
    expect(status.toxiproxy.up).toBe(false);
    for (const broker of BROKER_NAMES) {
      expect(status.brokers[broker]?.up, broker).toBe(false);
      expect(await portAnswers(ports.host, ports[broker].upstream, 300), broker).toBe(false);
      expect(await portAnswers(ports.host, ports[broker].proxy, 300), broker).toBe(false);
    }
  });
});

async function publishPersistent(queue: string, type: 'classic' | 'quorum', body: string): Promise<void> {
  const amqp = await import('amqplib');
  const connection = await amqp.connect(endpointsFor('rabbitmq', options).url);
  connection.on('error', () => {});
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': type } });
    channel.sendToQueue(queue, Buffer.from(body), { persistent: true });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

async function getOne(queue: string): Promise<string | undefined> {
  const amqp = await import('amqplib');
  const connection = await amqp.connect(endpointsFor('rabbitmq', options).url);
  try {
    const channel = await connection.createChannel();
    const message = await channel.get(queue, { noAck: true });
    await channel.deleteQueue(queue);
    return message ? message.content.toString() : undefined;
  } finally {
    await connection.close();
  }
}
