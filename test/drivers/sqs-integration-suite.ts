import { join } from 'node:path';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../core/clock.ts';
import type { HistoryEvent } from '../../core/events.ts';
import { readHistory } from '../../core/history-reader.ts';
import type { CaseTopology, Delivery, Driver, OutgoingMessage } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import type { SqsSettings } from '../../drivers/sqs/settings.ts';
import type { SqsEndpoint } from '../../provision/endpoints.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';
import type { CaseResult } from '../../runner/case.ts';
import { selectTargets } from '../../runner/targets.ts';
import { placementOf, requireBroker } from '../helpers/brokers.ts';
import { caseRunner, type RunOnOptions } from '../helpers/run-on.ts';

type Emulator = 'elasticmq' | 'moto';

const VISIBILITY_S = 2;

export function sqsIntegrationSuite(implementation: Emulator): void {
  let endpoint: SqsEndpoint;
  let driver: Driver;
  /** Long visibility timeouts, for tests that hold messages unacknowledged on purpose. */
  let patient: Driver;
  const settings: SqsSettings = { implementation, visibilityTimeoutSeconds: VISIBILITY_S };
  const patientSettings: SqsSettings = { ...settings, visibilityTimeoutSeconds: 20 };

  beforeAll(async () => {
    endpoint = await requireBroker(implementation);
    // Placed as `brokerproof run` places it: producers and consumers through their own proxies.
    driver = await createDriver('sqs', { sqs: settings }, placementOf(implementation));
    patient = await createDriver('sqs', { sqs: patientSettings }, placementOf(implementation));
  }, 300_000);

  const defaults: RunOnOptions = { isolation: 'inline', messages: 30 };
  const runCases = caseRunner(
    () => driver,
    () => ({ sqs: settings }),
    defaults,
  );
  // moto answers DeleteMessage on a FIFO queue in up to ~0.9 s while another receive long-polls
  // it (7–10 ms otherwise): a received batch handled one by one outlives a 2 s visibility timeout
  // and comes back, duplicated, with no fault at all. Cases without crashes run with 20 s.
  const runPatientCases = caseRunner(
    () => patient,
    () => ({ sqs: patientSettings }),
    defaults,
  );
  async function runOn(
    setup: string,
    scenario: string,
    options: RunOnOptions & { patient?: boolean } = {},
  ): Promise<CaseResult[]> {
    const cases = await (options.patient ? runPatientCases : runCases)(setup, scenario, options);
    for (const c of cases) (c as CaseResult & { outDir: string }).outDir = cases.outDir;
    return cases;
  }

  async function historyOf(c: CaseResult): Promise<HistoryEvent[]> {
    return (await readHistory(join((c as CaseResult & { outDir: string }).outDir, c.history))).events;
  }

  const context = { signal: new AbortController().signal, log: () => {} };
  const message = (id: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
    id,
    poison: false,
    payload: new TextEncoder().encode(`payload of ${id}`),
    ...extra,
  });
  const topologyFor = (setup: string, caseId: string, groups = ['default'], on: Driver = driver) =>
    on.createTopology(
      { caseId, setup: driver.setups.find((s) => s.name === setup)!, groups, partitions: 1, seed: 1 },
      context,
    );

  /** A consumer that keeps every delivery (and acknowledges only when told). */
  async function collect(topology: CaseTopology, name: string) {
    const got: Delivery[] = [];
    const consumer = await topology.consumer(name, 'default');
    await consumer.start(async (d) => {
      got.push(d);
    });
    return { got, consumer };
  }

  async function until(check: () => boolean, ms = 8000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check() && Date.now() < deadline) await sleep(25);
  }

  describe(`sqs driver on ${implementation}`, () => {
    it('standard + work-queue holds at-least-once while consumer processes are SIGKILLed', async () => {
      // Seed 8 draws one consumer per case, with crashes that fire (deliveries 9 and 14 of 30).
      const cases = await runOn('standard', 'work-queue', {
        runs: 2,
        seed: 8,
        isolation: 'process',
        minCrashes: 1,
      });
      for (const c of cases) {
        expect(c.valid).toBe(true);
        expect(c.crashes.length).toBeGreaterThan(0);
        expect(c.counts.processed).toBe(c.counts.acknowledged);
        expect(c.diagnostics.implementation).toBe(implementation);
      }
      // Redelivered messages carry SQS's ApproximateReceiveCount.
      const events = (await Promise.all(cases.map(historyOf))).flat();
      expect(
        events.some((e) => e.f === 'deliver' && (e as { deliveryCount?: number }).deliveryCount === 2),
      ).toBe(true);
    }, 120_000);

    it('standard claimed exactly-once: a crash between processing and DeleteMessage duplicates', async () => {
      const cases = await runOn('standard', 'work-queue', {
        runs: 2,
        seed: 8,
        override: { delivery: 'exactly-once' },
        minCrashes: 1,
        crashPoints: ['after-process'],
      });
      for (const c of cases) {
        expect(c.valid).toBe(false);
        expect(c.counts.duplicated).toBeGreaterThan(0);
        expect(c.counts.lost).toBe(0);
      }
    }, 120_000);

    it('standard-dlq dead-letters each poison message after exactly maxReceiveCount receives', async () => {
      const cases = await runOn('standard-dlq', 'retry-dlq', { runs: 2, faults: [], messages: 20 });
      for (const c of cases) {
        expect(c.valid).toBe(true);
        expect(c.guarantee.maxAttempts).toBe(3);
        expect(c.counts.deadLettered).toBe(c.workload.poison.length);
        expect(c.counts.dlqEarly + c.counts.dlqLate + c.counts.dlqMissing + c.counts.dlqUnexpected).toBe(0);
        const events = await historyOf(c);
        for (const dlq of events.filter((e) => e.f === 'dlq')) {
          const id = (dlq as { id: string }).id;
          const counts = events
            .filter((e) => e.f === 'deliver' && (e as { id: string }).id === id)
            .map((e) => (e as { deliveryCount?: number }).deliveryCount);
          expect(counts).toEqual([1, 2, 3]);
          expect((dlq as { deliveryCount?: number }).deliveryCount).toBe(3);
        }
        // Backoff is ChangeMessageVisibility in whole seconds: 10 ms asked, at least 1 s given.
        const first = c.retryIntervals.find((r) => r.afterDelivery === 1);
        expect(first?.intendedMs).toBe(10);
        expect(first!.minMs).toBeGreaterThanOrEqual(900);
      }
    }, 120_000);

    it('fifo-dlq dead-letters poison messages in order and keeps healthy ones (one message per receive)', async () => {
      const [c] = await runOn('fifo-dlq', 'retry-dlq', { runs: 1, faults: [], messages: 12, seed: 3 });
      expect(c!.valid).toBe(true);
      expect(c!.counts.deadLettered).toBe(c!.workload.poison.length);
      expect(c!.diagnostics.receiveBatchSize).toBe(1);
    }, 120_000);

    it('fifo: exactly-once fails under consumer crashes (duplicates after the visibility timeout), holds without', async () => {
      const crashed = await runOn('fifo', 'exactly-once', {
        runs: 1,
        minCrashes: 1,
        crashPoints: ['after-process'],
        seed: 8,
      });
      expect(crashed[0]!.crashes.length).toBeGreaterThan(0);
      expect(crashed[0]!.valid).toBe(false);
      expect(crashed[0]!.counts.duplicated).toBeGreaterThan(0);
      const calm = await runOn('fifo', 'exactly-once', { runs: 1, faults: [], seed: 5, patient: true });
      expect(calm[0]!.anomalies).toEqual([]);
      expect(calm[0]!.valid).toBe(true);
    }, 120_000);

    it('idempotent consumers absorb redeliveries; at-most-once (delete on receipt) never duplicates', async () => {
      const idempotent = await runOn('standard', 'idempotent-consumer', { runs: 1, seed: 8, minCrashes: 1 });
      expect(idempotent[0]!.valid).toBe(true);
      const atMostOnce = await runOn('standard', 'at-most-once', { runs: 1, seed: 8, minCrashes: 1 });
      expect(atMostOnce[0]!.valid).toBe(true);
      expect(atMostOnce[0]!.counts.duplicated).toBe(0);
    }, 120_000);

    it('FIFO dedupe: a resent id is dropped while queued; after the delete, ElasticMQ still drops it, moto does not', async () => {
      const topology = await topologyFor('fifo', `dedupe-${Date.now()}`, ['default'], patient);
      const producer = await topology.producer('producer-0');
      try {
        expect(await producer.send(message('a'))).toMatchObject({ status: 'ok' });
        expect(await producer.send(message('a'))).toMatchObject({ status: 'ok' }); // a producer retry
        const { got, consumer } = await collect(topology, 'consumer-0');
        await until(() => got.length >= 1);
        await sleep(1000); // a second copy would have arrived by now
        expect(got.map((d) => d.id)).toEqual(['a']);
        expect(await got[0]!.ack()).toEqual({ status: 'ok' });
        // Within the 5-minute window, after the first copy was deleted:
        expect(await producer.send(message('a'))).toMatchObject({ status: 'ok' });
        await sleep(1500);
        expect(got.map((d) => d.id)).toEqual(implementation === 'elasticmq' ? ['a'] : ['a', 'a']);
        await consumer.close();
      } finally {
        await producer.close();
        await topology.dispose();
      }
    }, 60_000);

    it('FIFO group lock with long polling: ElasticMQ holds it, moto hands the group on to a waiting consumer', async () => {
      const topology = await topologyFor('fifo', `grouplock-${Date.now()}`, ['default'], patient);
      const producer = await topology.producer('producer-0');
      const a = await collect(topology, 'consumer-a');
      const b = await collect(topology, 'consumer-b');
      try {
        await sleep(300); // both long polls are waiting
        await producer.send(message('g1', { key: 'g' }));
        await until(() => a.got.length + b.got.length >= 1);
        await sleep(300);
        await producer.send(message('g2', { key: 'g' })); // g1 is still in flight, unacknowledged
        await sleep(1500);
        const holders = [a.got.length, b.got.length].filter((n) => n > 0).length;
        if (implementation === 'elasticmq') expect(a.got.length + b.got.length).toBe(1);
        else expect(holders).toBe(2); // moto: g2 goes to the other consumer while g1 is in flight
      } finally {
        await a.consumer.crash();
        await b.consumer.crash();
        await producer.close();
        await topology.dispose();
      }
    }, 60_000);

    it('a consumer receives ahead up to 50 unsettled messages, never more, and takes the rest once they settle', async () => {
      const topology = await topologyFor('standard', `ahead-${Date.now()}`, ['default'], patient);
      const producer = await topology.producer('producer-0');
      const consumer = await topology.consumer('consumer-0', 'default');
      const got: Delivery[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      try {
        const sent = await Promise.all(
          Array.from({ length: 120 }, (_, k) => producer.send(message(`a${k}`))),
        );
        expect(sent.every((o) => o.status === 'ok')).toBe(true);
        // The handler holds every message until released: only receiving ahead brings more.
        await consumer.start(async (d) => {
          got.push(d);
          await gate;
          await d.ack();
        });
        await until(() => got.length >= 50);
        await sleep(1500);
        expect(got.length).toBe(50);
        release();
        await until(() => new Set(got.map((d) => d.id)).size === 120);
        expect(new Set(got.map((d) => d.id)).size).toBe(120);
      } finally {
        release();
        await consumer.close();
        await producer.close();
        await topology.dispose();
      }
    }, 60_000);

    it('acks: a stale receipt handle is refused by ElasticMQ (fail) and accepted by moto (info: late)', async () => {
      const topology = await topologyFor('standard', `stale-${Date.now()}`);
      const producer = await topology.producer('producer-0');
      try {
        await producer.send(message('s'));
        // The consumer holds the message past its visibility timeout and gets it a second time.
        const { got, consumer } = await collect(topology, 'consumer-0');
        await until(() => got.length === 2, (VISIBILITY_S + 5) * 1000);
        expect(got.map((d) => [d.id, d.deliveryCount, d.redelivered])).toEqual([
          ['s', 1, false],
          ['s', 2, true],
        ]);
        const stale = await got[0]!.ack();
        if (implementation === 'elasticmq') {
          expect(stale).toMatchObject({
            status: 'fail',
            error: expect.stringMatching(/ReceiptHandleIsInvalid/),
          });
        } else {
          // moto deletes with any handle the message ever had; AWS may not (the SDK docs): unknown.
          expect(stale).toMatchObject({ status: 'info', error: expect.stringMatching(/stale/) });
        }
        expect(await got[1]!.ack()).toEqual({ status: 'ok' });
        await consumer.close();
      } finally {
        await producer.close();
        await topology.dispose();
      }
    }, 60_000);

    it('sends: ok with the proxy up, info when the answer never comes, fail when nothing can connect', async () => {
      const topology = await topologyFor('standard', `sends-${Date.now()}`);
      // Producers reach the emulator through their own proxy: that is the link to hurt.
      const producers = endpoint.roles!.producers.toxiproxy!;
      const toxiproxy = new ToxiproxyApi(producers.apiUrl);
      const proxy = producers.proxy;
      const timeoutDriver = await createDriver(
        'sqs',
        { sqs: { ...settings, requestTimeoutMs: 1500 } },
        placementOf(implementation),
      );
      const quick = await timeoutDriver.createTopology(
        {
          caseId: `quick-${Date.now()}`,
          setup: driver.setups[0]!,
          groups: ['default'],
          partitions: 1,
          seed: 1,
        },
        context,
      );
      const producer = await quick.producer('producer-0');
      try {
        expect(await producer.send(message('a'))).toMatchObject({ status: 'ok' });
        await toxiproxy.addToxic(proxy, {
          name: 'no-answers',
          type: 'timeout',
          stream: 'downstream',
          attributes: { timeout: 0 },
        });
        const unknown = await producer.send(message('b'));
        expect(unknown).toMatchObject({ status: 'info' });
        await toxiproxy.removeToxic(proxy, 'no-answers');
        await toxiproxy.setEnabled(proxy, false);
        await sleep(500); // the client notices its idle connections are gone
        const refused = await producer.send(message('c'));
        expect(refused).toMatchObject({ status: 'fail' });
      } finally {
        await toxiproxy.heal(proxy);
        await producer.close();
        await quick.dispose();
        await topology.dispose();
      }
    }, 60_000);

    it('a send the service refuses is fail: the queue does not exist', async () => {
      const topology = await topologyFor('standard', `gone-${Date.now()}`);
      const elsewhere = await driver.attach!(topology.descriptor, context);
      const producer = await elsewhere.producer('producer-0');
      try {
        await topology.dispose(); // the queue is gone
        expect(await producer.send(message('x'))).toMatchObject({
          status: 'fail',
          error: expect.stringMatching(/QueueDoesNotExist/),
        });
      } finally {
        await elsewhere.close();
      }
    }, 30_000);

    it('deletes every queue (and topic) it created', async () => {
      const [c] = await runOn('standard-dlq', 'retry-dlq', { runs: 1, faults: [], messages: 10 });
      const queues = c!.diagnostics.queues as string[];
      expect(queues).toHaveLength(2);
      expect(queues.every((q) => q.length <= 80)).toBe(true);
      const sqs = new SQSClient({
        endpoint: endpoint.endpoint,
        region: endpoint.region,
        credentials: endpoint.credentials,
      });
      try {
        for (const name of queues) {
          await expect(sqs.send(new GetQueueUrlCommand({ QueueName: name }))).rejects.toThrow();
        }
        const { QueueUrls = [] } = await sqs.send(
          new ListQueuesCommand({ QueueNamePrefix: queues[0]!.slice(0, 40) }),
        );
        expect(QueueUrls).toEqual([]);
      } finally {
        sqs.destroy();
      }
    }, 60_000);

    if (implementation === 'moto') {
      it('sns-fanout: every subscriber group gets every message, and the topic is deleted', async () => {
        const cases = await runOn('sns-fanout', 'fan-out', { runs: 2, faults: [] });
        for (const c of cases) {
          expect(c.valid).toBe(true);
          expect(Object.keys(c.groups).length).toBe(c.workload.groups);
          for (const g of Object.values(c.groups)) expect(g.counts.processed).toBe(c.counts.acknowledged);
          expect(String(c.diagnostics.topic)).toMatch(/^arn:aws:sns:/);
        }
        const sns = new SNSClient({
          endpoint: endpoint.endpoint,
          region: endpoint.region,
          credentials: endpoint.credentials,
        });
        try {
          const { Topics = [] } = await sns.send(new ListTopicsCommand({}));
          const arns = Topics.map((t) => t.TopicArn);
          for (const c of cases) expect(arns).not.toContain(c.diagnostics.topic);
        } finally {
          sns.destroy();
        }
      }, 120_000);
    } else {
      it('sns-fanout says clearly that ElasticMQ has no SNS', async () => {
        expect(driver.capabilities.fanOut).toBe(false);
        expect(() => selectTargets(driver, { setups: ['sns-fanout'], scenarios: ['fan-out'] }, {})).toThrow();
        await expect(
          topologyFor('sns-fanout', `nosns-${Date.now()}`, ['group-0', 'group-1']),
        ).rejects.toThrow(/needs SNS, which ElasticMQ does not serve.*moto or aws/);
      });
    }
  });
}
