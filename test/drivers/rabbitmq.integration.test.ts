import amqp from 'amqplib';
import { beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../core/clock.ts';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import type { RabbitmqEndpoint } from '../../provision/endpoints.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';
import { requireBroker } from '../helpers/brokers.ts';
import { suspendQuorumLeader } from '../helpers/rabbitmq-node.ts';
import { caseRunner } from '../helpers/run-on.ts';

let endpoint: RabbitmqEndpoint;
let driver: Driver;

beforeAll(async () => {
  endpoint = await requireBroker('rabbitmq');
  driver = await createDriver('rabbitmq', { rabbitmq: { url: endpoint.url } });
}, 300_000);

const runOn = caseRunner(
  () => driver,
  () => ({ rabbitmq: { url: endpoint.url } }),
);

/** A queue or exchange that no longer exists makes its check fail. */
async function exists(kind: 'queue' | 'exchange', name: string): Promise<boolean> {
  const connection = await amqp.connect(endpoint.url);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    if (kind === 'queue') await channel.checkQueue(name);
    else await channel.checkExchange(name);
    return true;
  } catch {
    return false;
  } finally {
    await connection.close().catch(() => {});
  }
}

/** A quorum work queue of one group, as a case would declare it (with `options` over the setup's). */
function quorumTopology(name: string, options: Record<string, unknown> = {}) {
  const quorum = driver.setups.find((s) => s.name === 'quorum')!;
  return driver.createTopology(
    {
      caseId: `${name}-${Date.now()}`,
      setup: { ...quorum, options: { ...quorum.options, ...options } },
      groups: ['default'],
      partitions: 1,
      seed: 1,
    },
    { signal: new AbortController().signal, log: () => {} },
  );
}

describe('rabbitmq driver against a real broker', () => {
  it('quorum + work-queue holds at-least-once while consumer processes are SIGKILLed', async () => {
    const cases = await runOn('quorum', 'work-queue', { runs: 3, isolation: 'process' });
    expect(cases.map((c) => c.valid)).toEqual([true, true, true]);
    expect(cases.some((c) => c.crashes.length > 0)).toBe(true);
    for (const c of cases) expect(c.counts.processed).toBe(c.counts.acknowledged);
  }, 120_000);

  it('quorum + work-queue holds with crashes that tear the connection down in-process', async () => {
    const cases = await runOn('quorum', 'work-queue', { runs: 2, isolation: 'inline', seed: 11 });
    expect(cases.map((c) => c.valid)).toEqual([true, true]);
  }, 120_000);

  it('auto-ack claimed as at-least-once loses messages when consumers crash: the classic mistake is caught', async () => {
    const cases = await runOn('auto-ack', 'work-queue', {
      runs: 3,
      messages: 200,
      override: { delivery: 'at-least-once' },
      isolation: 'process',
    });
    expect(cases.some((c) => c.valid === false && c.counts.lost > 0)).toBe(true);
    expect(cases.every((c) => c.valid !== 'unknown')).toBe(true);
  }, 120_000);

  it('quorum-dlx dead-letters every poison message after exactly N deliveries', async () => {
    // Without crashes: with them, prefetched messages a dead consumer never handled count towards
    // the delivery limit too (see docs/drivers/rabbitmq.md), and dlqEarly is a true finding.
    const cases = await runOn('quorum-dlx', 'retry-dlq', { runs: 3, faults: [] });
    for (const c of cases) {
      expect(c.valid).toBe(true);
      expect(c.guarantee.maxAttempts).toBe(3);
      expect(c.counts.deadLettered).toBe(c.workload.poison.length);
      expect(c.counts.dlqEarly + c.counts.dlqLate + c.counts.dlqMissing + c.counts.dlqUnexpected).toBe(0);
    }
  }, 120_000);

  it('quorum-retry backs off through TTL retry queues and reports the real intervals', async () => {
    const cases = await runOn('quorum-retry', 'retry-dlq', { runs: 2, faults: [] });
    for (const c of cases) {
      expect(c.valid).toBe(true);
      expect(c.counts.deadLettered).toBe(c.workload.poison.length);
      const first = c.retryIntervals.find((r) => r.afterDelivery === 1);
      expect(first?.intendedMs).toBe(10);
      // A message waits out its TTL in the retry queue: never sooner than asked.
      expect(first!.minMs).toBeGreaterThanOrEqual(9);
      const second = c.retryIntervals.find((r) => r.afterDelivery === 2);
      expect(second?.intendedMs).toBe(20);
    }
  }, 120_000);

  it('single-active-consumer keeps per-key order; fanout gives every group everything; classic holds', async () => {
    const ordered = await runOn('single-active-consumer', 'ordered', { runs: 2 });
    expect(ordered.map((c) => [c.valid, c.guarantee.ordering])).toEqual([
      [true, 'per-key'],
      [true, 'per-key'],
    ]);
    const fanOut = await runOn('fanout', 'fan-out', { runs: 2 });
    for (const c of fanOut) {
      expect(c.valid).toBe(true);
      expect(Object.keys(c.groups).length).toBe(c.workload.groups);
    }
    const classic = await runOn('classic', 'idempotent-consumer', { runs: 2 });
    for (const c of classic)
      expect(c.valid, `${c.id}: ${c.violations.join(', ')} ${c.reasons.join('; ')}`).toBe(true);
  }, 180_000);

  it('deletes the queues and the exchange it created', async () => {
    const [c] = await runOn('quorum-dlx', 'retry-dlq', { runs: 1, faults: [] });
    const queues = (c!.diagnostics.queues as string[]) ?? [];
    expect(queues).toHaveLength(2); // work queue and dead-letter queue
    expect(await exists('queue', queues[0]!)).toBe(false);
    expect(await exists('queue', queues[1]!)).toBe(false);
    expect(await exists('exchange', c!.diagnostics.exchange as string)).toBe(false);
    // The check itself can tell: a queue that is there is found.
    expect(await exists('exchange', 'amq.fanout')).toBe(true);
    // The drain ended on the broker's word, and the case keeps that word queue by queue: the work
    // queue empty with its consumers on it.
    expect((c!.diagnostics.drain as { ended: string }).ended).toBe('backlog-empty');
    const last = c!.diagnostics.lastBacklog as {
      queues: { queue: string; ready: number; consumers: number }[];
    };
    expect(last.queues.map((q) => q.queue)).toEqual(queues);
    expect(last.queues[0]).toEqual({ queue: queues[0], ready: 0, consumers: c!.workload.consumersPerGroup });
  }, 60_000);

  it('records a send whose confirm never comes as info, and a send that cannot connect as fail', async () => {
    const topology = await quorumTopology('confirm');
    const toxiproxy = new ToxiproxyApi(endpoint.toxiproxy!.apiUrl);
    const proxy = endpoint.toxiproxy!.proxy;
    const producer = await topology.producer('producer-0');
    const message = (id: string) => ({ id, poison: false, payload: new Uint8Array(4) });
    try {
      expect(await producer.send(message('a'))).toMatchObject({ status: 'ok' });
      // Confirms are swallowed on their way back: the broker may well have the message.
      await toxiproxy.addToxic(proxy, {
        name: 'no-confirms',
        type: 'timeout',
        stream: 'downstream',
        attributes: { timeout: 0 },
      });
      const lost = await producer.send(message('b'));
      expect(lost).toMatchObject({ status: 'info' });
      await toxiproxy.removeToxic(proxy, 'no-confirms');
      // The proxy is down: no connection, nothing written, definitely not enqueued.
      await toxiproxy.setEnabled(proxy, false);
      await sleep(500); // the client notices its connection is gone
      const refused = await producer.send(message('c'));
      expect(refused).toMatchObject({ status: 'fail' });
    } finally {
      await toxiproxy.reset();
      await producer.close();
      await topology.dispose();
    }
  }, 60_000);

  it.each([
    ['fail: mandatory, the broker returns it before it confirms it', true],
    ['ok without mandatory: the broker confirms it, and it is gone', false],
  ])(
    'a publish that routes to no queue is %s',
    async (_, mandatory) => {
      const topology = await quorumTopology('unroutable', mandatory ? {} : { mandatory: false });
      const { queues, exchange } = topology.diagnostics!() as { queues: string[]; exchange: string };
      const producer = await topology.producer('producer-0');
      const message = (id: string) => ({ id, poison: false, payload: new Uint8Array(4) });
      const admin = await amqp.connect(endpoint.url);
      try {
        const channel = await admin.createChannel();
        expect(await producer.send(message('a'))).toMatchObject({ status: 'ok' });
        // What a broker restarted after a power loss may do: its exchange routes to nothing, the
        // binding lost with the writes it never synced (docs/findings.md).
        await channel.unbindQueue(queues[0]!, exchange, '');
        expect(await producer.send(message('b'))).toEqual(
          mandatory
            ? {
                status: 'fail',
                error: 'the broker routed the message to no queue (basic.return), then confirmed it',
              }
            : { status: 'ok' },
        );
        await channel.bindQueue(queues[0]!, exchange, '');
        expect(await producer.send(message('c'))).toMatchObject({ status: 'ok' });
        // Either way the queue holds 'a' and 'c' only: without mandatory, 'b' was confirmed and lost.
        expect((await channel.checkQueue(queues[0]!)).messageCount).toBe(2);
      } finally {
        await admin.close().catch(() => {});
        await producer.close();
        await topology.dispose();
      }
    },
    60_000,
  );

  it('a quorum queue whose leader does not answer reads as 0 messages, 0 consumers: the backlog is not taken for 0', async () => {
    const topology = await quorumTopology('backlog');
    const queue = (topology.descriptor.queues as Record<string, string>).default!;
    const producer = await topology.producer('producer-0');
    const connection = await amqp.connect(endpoint.url);
    try {
      for (const id of ['a', 'b', 'c'])
        expect(await producer.send({ id, poison: false, payload: new Uint8Array(4) })).toMatchObject({
          status: 'ok',
        });
      // A consumer holds one message unacknowledged: two are ready.
      const channel = await connection.createChannel();
      await channel.prefetch(1);
      const held: amqp.ConsumeMessage[] = [];
      await channel.consume(queue, (m) => m && held.push(m));
      while (held.length < 1) await sleep(10);
      expect(await topology.backlog!()).toBe(2);
      await suspendQuorumLeader(queue, true);
      try {
        // What RabbitMQ says of the queue meanwhile: empty, and nobody consuming.
        expect(await channel.checkQueue(queue)).toMatchObject({ messageCount: 0, consumerCount: 0 });
        expect(await topology.backlog!()).toBeGreaterThan(0);
      } finally {
        await suspendQuorumLeader(queue, false);
      }
      expect(await channel.checkQueue(queue)).toMatchObject({ messageCount: 2, consumerCount: 1 });
      // Settled, with the consumer still on the queue: the backlog can say 0.
      const acked = new Set<amqp.ConsumeMessage>();
      while (acked.size < 3) {
        for (const m of held.filter((m) => !acked.has(m))) {
          channel.ack(m);
          acked.add(m);
        }
        await sleep(10);
      }
      await sleep(200);
      expect(await topology.backlog!()).toBe(0);
    } finally {
      await connection.close().catch(() => {});
      await producer.close();
      await topology.dispose();
    }
  }, 60_000);
});
