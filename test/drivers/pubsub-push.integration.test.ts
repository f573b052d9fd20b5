/**
 * Pub/Sub push (`--setup push`) against the Cloud SDK emulator: the shared HTTP push consumer
 * (drivers/http-push) under SIGKILLs and per-consumer network faults, and what the emulator does
 * with a push that is refused, dropped or never answered — measured here, documented in
 * docs/drivers/pubsub.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseTopology, Delivery, Driver } from '../../drivers/driver.ts';
import type { HttpPushConsumer } from '../../drivers/http-push/push-consumer.ts';
import { createDriver } from '../../drivers/index.ts';
import type { PubsubDescriptor } from '../../drivers/pubsub/descriptor.ts';
import { decodePubsubPush } from '../../drivers/pubsub/push.ts';
import type { PubsubEndpoint } from '../../provision/endpoints.ts';
import { pubsubUnavailable } from '../../provision/local/brokers/pubsub.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';
import { placementOf, requireBroker } from '../helpers/brokers.ts';
import { caseRunner } from '../helpers/run-on.ts';

const missing = pubsubUnavailable();
if (missing) process.stderr.write(`pubsub push integration tests skipped: ${missing}\n`);

let endpoint: PubsubEndpoint;
let driver: Driver;

beforeAll(async () => {
  if (missing) return;
  endpoint = await requireBroker('pubsub');
  driver = await createDriver('pubsub', {}, placementOf('pubsub'));
}, 180_000);

afterAll(async () => {
  if (endpoint?.toxiproxy) await new ToxiproxyApi(endpoint.toxiproxy.apiUrl).reset().catch(() => {});
  await driver?.close();
});

const runOn = caseRunner(
  () => driver,
  () => ({}),
  { isolation: 'process', messages: 60, timeouts: { drainMs: 60_000 } },
);

const setupOf = (name: string) => driver.setups.find((s) => s.name === name)!;

/** A push topology of one group and a publisher to it. */
async function pushTopology(caseId: string): Promise<CaseTopology> {
  return driver.createTopology(
    { caseId, setup: setupOf('push'), groups: ['g'], partitions: 1, seed: 1 },
    { signal: new AbortController().signal, log: () => {} },
  );
}

async function publish(t: CaseTopology, id: string): Promise<void> {
  const producer = await t.producer('p');
  expect((await producer.send({ id, poison: false, payload: Buffer.from(id) })).status).toBe('ok');
  await producer.close();
}

const until = async (what: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(what()).toBe(true);
};

describe.skipIf(missing !== undefined).concurrent('pubsub push against the Cloud SDK emulator', () => {
  it('push + work-queue holds at-least-once while endpoint processes are SIGKILLed after processing', async () => {
    const [c] = await runOn('push', 'work-queue', { runs: 1, minCrashes: 1, crashPoints: ['after-process'] });
    expect(c!.valid).toBe(true);
    expect(c!.crashes.length).toBeGreaterThan(0);
    // The killed endpoint never answered what it had processed: the emulator pushed it again.
    expect(c!.counts.redelivered).toBeGreaterThan(0);
    expect(c!.counts.lost).toBe(0);
  }, 120_000);

  it('push claimed exactly-once is violated by the same crashes: duplicated > 0', async () => {
    const [c] = await runOn('push', 'work-queue', {
      runs: 1,
      seed: 5,
      minCrashes: 1,
      crashPoints: ['after-process'],
      override: { delivery: 'exactly-once' },
    });
    expect(c!.valid).toBe(false);
    expect(c!.counts.duplicated).toBeGreaterThan(0);
  }, 120_000);

  it('push holds at-least-once with partitions and latency on each endpoint’s own proxy', async () => {
    const [c] = await runOn('push', 'work-queue', {
      runs: 1,
      seed: 11,
      faults: ['partition@consumer', 'latency@consumer'],
    });
    expect(c!.valid).toBe(true);
  }, 150_000);

  it('the emulator retries a non-2xx answer about once a second, with no backoff', async () => {
    await using t = await pushTopology('push-nack');
    const at: number[] = [];
    const consumer = await t.consumer('c', 'g');
    await consumer.start(async (d: Delivery) => {
      at.push(Date.now());
      if (at.length < 5) await d.nack({ requeue: true });
      else expect((await d.ack()).status).toBe('info');
    });
    await publish(t, 'm1');
    await until(() => at.length >= 5, 15_000);
    const gaps = at.slice(1).map((x, i) => x - at[i]!);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThan(700);
      expect(gap).toBeLessThan(1_600);
    }
    await new Promise((r) => setTimeout(r, 2_500));
    expect(at.length).toBe(5); // acked: not pushed again
    await consumer.close();
  }, 60_000);

  it('a killed endpoint’s request comes back within a couple of seconds of a new endpoint registering', async () => {
    await using t = await pushTopology('push-kill');
    const first = await t.consumer('c1', 'g');
    let held = 0;
    await first.start(async () => {
      held++;
      await new Promise(() => {}); // holds the request until the crash
    });
    await publish(t, 'm1');
    await until(() => held === 1, 10_000);
    const killedAt = Date.now();
    await first.crash();
    const seen: string[] = [];
    const second = await t.consumer('c2', 'g');
    await second.start(async (d) => {
      seen.push(d.id);
      await d.ack();
    });
    await until(() => seen.length === 1, 5_000);
    expect(Date.now() - killedAt).toBeLessThan(3_000);
    expect(seen).toEqual(['m1']);
    await second.close();
  }, 60_000);

  it('an endpoint that never answers gets the message again only after the 10 s ack deadline', async () => {
    await using t = await pushTopology('push-silent');
    const at: number[] = [];
    const consumer = await t.consumer('c', 'g');
    await consumer.start(async (d) => {
      at.push(Date.now());
      if (at.length >= 2) await d.ack();
      else await new Promise(() => {}); // never answers the first push
    });
    await publish(t, 'm1');
    await until(() => at.length >= 2, 20_000);
    const gap = at[1]! - at[0]!;
    expect(gap).toBeGreaterThan(9_000);
    expect(gap).toBeLessThan(13_000);
    await consumer.crash();
  }, 60_000);

  it('an endpoint handed its own proxy points it at itself and is reached through it', async () => {
    await using t = await pushTopology('push-via');
    const apiUrl = (t.descriptor as PubsubDescriptor).toxiproxyApi!;
    const api = new ToxiproxyApi(apiUrl);
    const proxy = await api.createProxy({
      name: 'bp-push-via-test',
      listen: '127.0.0.1:0',
      upstream: '127.0.0.1:1',
    });
    try {
      const port = Number(proxy.listen.slice(proxy.listen.lastIndexOf(':') + 1));
      const consumer = (await t.consumer('c', 'g', { via: { host: '127.0.0.1', port } })) as HttpPushConsumer;
      const seen: string[] = [];
      await consumer.start(async (d) => {
        seen.push(d.id);
        await d.ack();
      });
      expect(consumer.url).toBe(`http://127.0.0.1:${port}`);
      expect((await api.proxy('bp-push-via-test'))!.upstream).not.toBe('127.0.0.1:1');
      await publish(t, 'm1');
      await until(() => seen.length === 1, 10_000);
      await consumer.close();
    } finally {
      await api.deleteProxy('bp-push-via-test');
    }
  }, 60_000);
});

describe('pubsub push requests', () => {
  it('decode attributes, data and the delivery attempt', () => {
    const body = Buffer.from(
      JSON.stringify({
        message: {
          data: Buffer.from('x').toString('base64'),
          attributes: { 'bp-id': 'm3', 'bp-poison': '1' },
          messageId: '7',
        },
        deliveryAttempt: 2,
      }),
    );
    const pushed = decodePubsubPush(body);
    expect(pushed).toMatchObject({
      kind: 'message',
      message: { id: 'm3', poison: true, offset: '7', deliveryCount: 2, redelivered: true },
    });
    expect(decodePubsubPush(Buffer.from('{}'))).toMatchObject({ kind: 'reply', status: 400 });
  });
});
