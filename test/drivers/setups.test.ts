import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep } from '../../core/clock.ts';
import type { Delivery, Driver, Setup } from '../../drivers/driver.ts';
import { KafkaDriver } from '../../drivers/kafka/kafka-driver.ts';
import { KAFKA_SETUPS } from '../../drivers/kafka/setups.ts';
import { MemoryDriver } from '../../drivers/memory/memory-driver.ts';
import { MEMORY_SETUPS } from '../../drivers/memory/setups.ts';
import { NatsDriver } from '../../drivers/nats/nats-driver.ts';
import { NATS_SETUPS } from '../../drivers/nats/setups.ts';
import { RabbitmqDriver } from '../../drivers/rabbitmq/rabbitmq-driver.ts';
import { RABBITMQ_SETUPS, type RabbitSetupOptions } from '../../drivers/rabbitmq/setups.ts';
import { SQS_SETUPS } from '../../drivers/sqs/setups.ts';
import { SqsDriver, type SqsDriverOptions } from '../../drivers/sqs/sqs-driver.ts';
import { deliveriesBeforeDeadLetter } from '../helpers/history-files.ts';
import { caseRunner } from '../helpers/run-on.ts';

const CATALOGUE: Record<string, readonly Setup[]> = {
  memory: MEMORY_SETUPS,
  rabbitmq: RABBITMQ_SETUPS,
  kafka: KAFKA_SETUPS,
  nats: NATS_SETUPS,
  sqs: SQS_SETUPS,
};
const everySetup = Object.entries(CATALOGUE).flatMap(([driver, setups]) =>
  setups.map((setup) => ({ driver, setup })),
);
const named = (driver: string, name: string) => CATALOGUE[driver]!.find((s) => s.name === name)!;

describe('setup catalogue: where each claim comes from', () => {
  it('every setup says whether its claim is the configuration’s or the vendor’s, and quotes the vendor', () => {
    for (const { driver, setup } of everySetup) {
      const where = `${driver}/${setup.name}`;
      expect(['configuration', 'vendor'], where).toContain(setup.claimBasis);
      if (setup.claimBasis === 'vendor') {
        // One line, naming the document it comes from.
        expect(setup.vendorClaim, where).toMatch(/docs/i);
        expect(setup.vendorClaim, where).not.toMatch(/\n/);
      } else {
        expect(setup.vendorClaim, where).toBeUndefined();
      }
      expect(['deduplicated', 'new-message'], where).toContain(setup.resends);
    }
  });

  it('the vendor claims tested but not endorsed: NATS double-ack exactly-once, and only it', () => {
    const vendor = everySetup.filter(({ setup }) => setup.claimBasis === 'vendor');
    expect(vendor.map(({ driver, setup }) => `${driver}/${setup.name}`)).toEqual([
      'nats/jetstream-dedupe-double-ack',
    ]);
    const nats = named('nats', 'jetstream-dedupe-double-ack');
    expect(nats.claim.delivery).toBe('exactly-once');
    expect(nats.vendorClaim).toMatch(/Nats-Msg-Id/);
    expect(nats.vendorClaim).toMatch(/AckAck|double-ack/i);
    expect(nats.resends).toBe('deduplicated');
  });

  it('an exactly-once claim of our own is scoped to a transactional pipeline (resends are new messages)', () => {
    for (const { driver, setup } of everySetup) {
      if (setup.claim.delivery !== 'exactly-once' || setup.claimBasis === 'vendor') continue;
      const where = `${driver}/${setup.name}`;
      expect(setup.pipeline, where).toBe('transactional');
      expect(setup.resends, where).toBe('new-message');
      expect(setup.description, where).toMatch(/pipeline only/);
      expect(setup.description, where).toMatch(/resend/);
    }
    expect(named('kafka', 'transactions').claim).toEqual({
      delivery: 'exactly-once',
      ordering: 'per-partition',
    });
  });

  it('deduplicating setups name their window; every dead-lettering setup says N is --max-attempts', () => {
    for (const { driver, setup } of everySetup) {
      const where = `${driver}/${setup.name}`;
      if (setup.resends === 'deduplicated') expect(setup.description, where).toMatch(/window/);
      if (setup.claim.maxAttempts !== undefined) expect(setup.description, where).toMatch(/--max-attempts N/);
    }
  });
});

describe('RabbitMQ dead-lettering: at-most-once beside at-least-once', () => {
  const options = (name: string) => named('rabbitmq', name).options as RabbitSetupOptions;

  it('quorum-dlx keeps the default at-most-once strategy and says its DLQ policy needs no broker faults', () => {
    const setup = named('rabbitmq', 'quorum-dlx');
    expect(options('quorum-dlx')).toMatchObject({ queueType: 'quorum', deliveryLimit: true });
    expect(options('quorum-dlx').deadLetterStrategy).toBe('at-most-once');
    expect(setup.description).toMatch(/at-most-once/);
    expect(setup.description).toMatch(/without broker faults/);
  });

  it('quorum-dlx-at-least-once claims the same DLQ policy, and that dead-lettered messages are not lost', () => {
    const setup = named('rabbitmq', 'quorum-dlx-at-least-once');
    expect(options('quorum-dlx-at-least-once')).toMatchObject({
      queueType: 'quorum',
      deliveryLimit: true,
      deadLetterStrategy: 'at-least-once',
    });
    expect(setup.claim).toEqual(named('rabbitmq', 'quorum-dlx').claim);
    expect(setup.description).toMatch(/reject-publish/);
    expect(setup.description).toMatch(/not lost/);
  });
});

describe('driver capabilities hold only what the runner reads', () => {
  it('fanOut, processIsolation, drainSettleMs, silenceTimeoutMs, consumerVia, slowestSendRate and maxSendWindow — nothing else', () => {
    const sqs = {
      connection: { implementation: 'elasticmq' },
      sns: false,
      proxied: false,
      visibilityTimeoutSeconds: 2,
      receiveBatchSize: undefined,
      contentBasedDeduplication: false,
      namePrefix: 'bp',
    } as unknown as SqsDriverOptions;
    const drivers: Driver[] = [
      new MemoryDriver(),
      new RabbitmqDriver({ url: 'amqp://127.0.0.1:1' }),
      new KafkaDriver({ brokers: ['127.0.0.1:1'] }),
      new NatsDriver({ servers: ['nats://127.0.0.1:1'] } as ConstructorParameters<typeof NatsDriver>[0]),
      new SqsDriver(sqs),
    ];
    for (const driver of drivers) {
      expect(
        Object.keys(driver.capabilities)
          .filter((k) => !['consumerVia', 'slowestSendRate', 'maxSendWindow'].includes(k))
          .sort(),
        driver.name,
      ).toEqual(['drainSettleMs', 'fanOut', 'processIsolation', 'silenceTimeoutMs']);
      // Fault durations are drawn up to well past it: each driver says what its broker waits.
      expect(driver.capabilities.silenceTimeoutMs, driver.name).toBeGreaterThan(0);
    }
    expect(drivers.map((d) => d.capabilities.silenceTimeoutMs)).toEqual([500, 4_000, 6_000, 5_000, 2_000]);
    // One consumer's link can be cut where a consumer talks to one address; Kafka's follow the broker.
    expect(drivers.map((d) => d.capabilities.consumerVia === true)).toEqual([false, true, false, true, true]);
  });
});

describe('--max-attempts changes the broker’s delivery limit, not only the claim (memory broker)', () => {
  it('a topology created with maxAttempts 5 delivers a failing message 5 times, then dead-letters it', async () => {
    const driver = new MemoryDriver({ ackTimeoutMs: 1000 });
    const setup = driver.setups.find((s) => s.name === 'queue-dlq')!;
    expect(setup.claim.maxAttempts).toBe(3);
    const t = await driver.createTopology(
      { caseId: 'max-5', setup, groups: ['default'], partitions: 1, maxAttempts: 5, seed: 1 },
      { signal: new AbortController().signal, log: () => {} },
    );
    const seen: Delivery[] = [];
    const dead: Delivery[] = [];
    const consumer = await t.consumer('consumer-0', 'default');
    await consumer.start(async (d) => {
      seen.push(d);
      await d.nack({ requeue: true });
    });
    const reader = await t.deadLetterConsumer!('dlq-reader', 'default');
    await reader.start(async (d) => {
      dead.push(d);
      await d.ack();
    });
    const producer = await t.producer('producer-0');
    expect(await producer.send({ id: 'poison-1', poison: true, payload: new Uint8Array(4) })).toMatchObject({
      status: 'ok',
    });
    const deadline = Date.now() + 3000;
    while (dead.length === 0 && Date.now() < deadline) await sleep(5);
    expect(seen.map((d) => d.deliveryCount)).toEqual([1, 2, 3, 4, 5]);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.deadLetter?.deliveryCount).toBe(5);
    await t.dispose();
  });

  it('retry-dlq on queue-dlq with the override maxAttempts 5: every poison message dead-lettered after exactly 5 deliveries', async () => {
    const runOn = caseRunner(
      () => new MemoryDriver(),
      () => ({}),
    );
    const cases = await runOn('queue-dlq', 'retry-dlq', {
      runs: 3,
      seed: 5,
      faults: [],
      override: { maxAttempts: 5 },
    });
    expect(cases).toHaveLength(3);
    let poisonSeen = 0;
    for (const c of cases) {
      expect(c.valid, `${c.id}: ${c.violations.join(', ')} ${c.reasons.join('; ')}`).toBe(true);
      expect(c.guarantee.maxAttempts).toBe(5);
      expect(c.counts.dlqEarly + c.counts.dlqLate + c.counts.dlqMissing + c.counts.dlqUnexpected).toBe(0);
      const deliveries = deliveriesBeforeDeadLetter(join(cases.outDir, c.history));
      expect(deliveries.size).toBe(c.workload.poison.length);
      for (const [id, n] of deliveries) expect(n, id).toBe(5);
      poisonSeen += deliveries.size;
    }
    expect(poisonSeen).toBeGreaterThan(0);
  });
});
