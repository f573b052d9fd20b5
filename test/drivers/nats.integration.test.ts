import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../core/clock.ts';
import type { CaseTopology, Delivery, Driver, OutgoingMessage } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import type { NatsSettings } from '../../drivers/nats/settings.ts';
import type { NatsEndpoint } from '../../provision/endpoints.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';
import { requireBroker } from '../helpers/brokers.ts';
import { caseRunner } from '../helpers/run-on.ts';

let endpoint: NatsEndpoint;
let settings: NatsSettings;
let driver: Driver;
let toxiproxy: ToxiproxyApi;

beforeAll(async () => {
  endpoint = await requireBroker('nats');
  settings = { servers: endpoint.servers, publishTimeoutMs: 2000 };
  driver = await createDriver('nats', { nats: settings });
  // Removing a bandwidth toxic waits for the data it holds back: give the API time.
  toxiproxy = new ToxiproxyApi(endpoint.toxiproxy!.apiUrl, { timeoutMs: 30_000 });
}, 300_000);

afterAll(async () => {
  await toxiproxy?.reset().catch(() => {});
  await driver?.close();
});

const runOn = caseRunner(
  () => driver,
  () => ({ nats: settings }),
  { isolation: 'inline' },
);

async function topologyOf(setup: string, caseId: string): Promise<CaseTopology> {
  return driver.createTopology(
    {
      caseId,
      setup: driver.setups.find((s) => s.name === setup)!,
      groups: ['default'],
      partitions: 1,
      seed: 1,
    },
    { signal: new AbortController().signal, log: () => {} },
  );
}

const message = (id: string, bytes = 16): OutgoingMessage => ({
  id,
  poison: false,
  payload: new Uint8Array(bytes),
});

/** Stream names the server has (through the proxy, as every client). */
async function streamNames(): Promise<string[]> {
  const nc = await connect({ servers: endpoint.servers });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    return names;
  } finally {
    await nc.close();
  }
}

async function storedMessages(stream: string): Promise<number> {
  const nc = await connect({ servers: endpoint.servers });
  try {
    return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
}

describe('nats driver: JetStream against a real nats-server', () => {
  it('jetstream + work-queue holds at-least-once while consumer processes are SIGKILLed', async () => {
    const cases = await runOn('jetstream', 'work-queue', { runs: 3, isolation: 'process', minCrashes: 1 });
    expect(cases.map((c) => c.valid)).toEqual([true, true, true]);
    // A planned crash fires only if its consumer gets that many deliveries: most cases have one.
    expect(cases.some((c) => c.crashes.length > 0)).toBe(true);
    for (const c of cases) expect(c.counts.processed).toBe(c.counts.acknowledged);
  }, 90_000);

  it('jetstream holds with in-process crashes; redeliveries carry the delivery count', async () => {
    const cases = await runOn('jetstream', 'work-queue', { runs: 2, seed: 11, minCrashes: 1 });
    expect(cases.map((c) => c.valid)).toEqual([true, true]);
    expect(cases.some((c) => c.counts.redelivered > 0)).toBe(true);
  }, 60_000);

  it('jetstream-dlq moves every poison message to the DLQ stream after exactly N deliveries', async () => {
    const cases = await runOn('jetstream-dlq', 'retry-dlq', { runs: 3, faults: [] });
    for (const c of cases) {
      expect(c.valid).toBe(true);
      expect(c.guarantee.maxAttempts).toBe(3);
      expect(c.counts.deadLettered).toBe(c.workload.poison.length);
      expect(c.diagnostics.deadLettersMoved).toBe(c.workload.poison.length);
      expect(c.counts.dlqEarly + c.counts.dlqLate + c.counts.dlqMissing + c.counts.dlqUnexpected).toBe(0);
    }
    expect(cases.some((c) => c.workload.poison.length > 0)).toBe(true);
  }, 60_000);

  it('jetstream-ordered keeps per-key order through crashes; fan-out gives every durable consumer everything', async () => {
    const ordered = await runOn('jetstream-ordered', 'ordered', { runs: 2, minCrashes: 1 });
    expect(ordered.map((c) => [c.valid, c.guarantee.ordering])).toEqual([
      [true, 'per-key'],
      [true, 'per-key'],
    ]);
    const fanOut = await runOn('jetstream', 'fan-out', { runs: 2 });
    for (const c of fanOut) {
      expect(c.valid).toBe(true);
      expect(Object.keys(c.groups).length).toBe(c.workload.groups);
    }
    const idempotent = await runOn('jetstream', 'idempotent-consumer', { runs: 1, minCrashes: 1 });
    expect(idempotent.map((c) => c.valid)).toEqual([true]);
  }, 90_000);

  it('dedupe + double ack: exactly-once holds only while no consumer dies between processing and a confirmed ack', async () => {
    const clean = await runOn('jetstream-dedupe-double-ack', 'exactly-once', { runs: 2, faults: [] });
    expect(clean.map((c) => c.valid)).toEqual([true, true]);
    // What NATS documents as exactly-once does not survive a crash: a message processed whose ackAck
    // was not yet confirmed (this one's, or a concurrent handler's) is delivered and processed again.
    const crashed = await runOn('jetstream-dedupe-double-ack', 'exactly-once', {
      runs: 2,
      seed: 3,
      minCrashes: 1,
      crashPoints: ['after-process'],
    });
    expect(crashed.some((c) => c.valid === false && c.counts.duplicated > 0)).toBe(true);
    // What does hold: nothing is processed again after its ack was confirmed.
    for (const c of crashed) expect(c.counts.duplicatedAfterAck).toBe(0);
  }, 90_000);

  it('a publish whose ack is swallowed is info; resent with the same id it is stored once (Nats-Msg-Id), twice without', async () => {
    const proxy = endpoint.toxiproxy!.proxy;
    const stored: Record<string, number> = {};
    for (const setup of ['jetstream-dedupe-double-ack', 'jetstream']) {
      const topology = await topologyOf(setup, `swallowed-${setup}`);
      const producer = await topology.producer('producer-0');
      try {
        expect(await producer.send(message('warm-up'))).toMatchObject({ status: 'ok' });
        await toxiproxy.addToxic(proxy, {
          name: 'no-acks',
          type: 'timeout',
          stream: 'downstream',
          attributes: { timeout: 0 },
        });
        expect(await producer.send(message('m1'))).toMatchObject({ status: 'info' });
        await toxiproxy.removeToxic(proxy, 'no-acks');
        let resent = await producer.send(message('m1'));
        // The stalled connection may still be on its way back.
        for (let k = 0; k < 5 && resent.status !== 'ok'; k++) resent = await producer.send(message('m1'));
        expect(resent).toMatchObject({ status: 'ok' });
        stored[setup] = (await storedMessages(topology.descriptor.stream as string)) - 1;
      } finally {
        await toxiproxy.reset();
        await producer.close();
        await topology.dispose();
      }
    }
    expect(stored).toEqual({ 'jetstream-dedupe-double-ack': 1, jetstream: 2 });
  }, 60_000);

  it('acks: ackAck is ok, a plain ack is info; a publish nobody stores is fail; no connection is fail', async () => {
    const acks: Record<string, string> = {};
    for (const setup of ['jetstream-dedupe-double-ack', 'jetstream']) {
      const topology = await topologyOf(setup, `acks-${setup}`);
      const producer = await topology.producer('producer-0');
      const consumer = await topology.consumer('consumer-0', 'default');
      try {
        expect(await producer.send(message('a'))).toMatchObject({ status: 'ok', offset: 1 });
        const delivered = new Promise<Delivery>((resolve) => void consumer.start(async (d) => resolve(d)));
        const d = await delivered;
        expect(d).toMatchObject({ id: 'a', deliveryCount: 1, redelivered: false, offset: 1 });
        acks[setup] = (await d.ack()).status;
      } finally {
        await consumer.close();
        await producer.close();
        await topology.dispose();
      }
      // The stream is gone: no responder for the subject, definitely not stored.
      const late = await topology.producer('producer-late');
      expect(await late.send(message('b'))).toMatchObject({ status: 'fail' });
      await late.close();
    }
    expect(acks).toEqual({ 'jetstream-dedupe-double-ack': 'ok', jetstream: 'info' });
    const topology = await topologyOf('jetstream', 'no-connection');
    const producer = await topology.producer('producer-0');
    try {
      await toxiproxy.setEnabled(endpoint.toxiproxy!.proxy, false);
      expect(await producer.send(message('c'))).toMatchObject({ status: 'fail' });
    } finally {
      await toxiproxy.reset();
      await producer.close();
      // The admin connection is still reconnecting: teardown must wait for it, not leak the stream.
      await topology.dispose();
    }
    expect(await streamNames()).not.toContain(topology.descriptor.stream);
  }, 60_000);

  it('deletes the streams and consumers it created', async () => {
    const [c] = await runOn('jetstream-dlq', 'retry-dlq', { runs: 1, faults: [] });
    const created = c!.diagnostics.streams as string[];
    expect(created).toHaveLength(3); // work stream, DLQ stream, advisory stream
    const names = await streamNames();
    for (const stream of created) expect(names).not.toContain(stream);
  }, 30_000);
});

describe('nats driver: core NATS is at-most-once', () => {
  it('core claimed as at-least-once loses messages when consumers crash', async () => {
    const cases = await runOn('core', 'work-queue', {
      runs: 2,
      messages: 200,
      minCrashes: 1,
      override: { delivery: 'at-least-once' },
      isolation: 'process',
    });
    // A crash drawn at a delivery its consumer never reaches loses nothing; one that strikes does.
    expect(cases.some((c) => c.valid === false && c.counts.lost > 0)).toBe(true);
    for (const c of cases) expect(c.valid === false).toBe(c.counts.lost > 0);
    // Nothing is ever processed twice: what it does claim holds.
    for (const c of cases) expect(c.counts.duplicated).toBe(0);
  }, 90_000);

  it('core holds at-most-once; queue groups share, every group gets every message', async () => {
    const queue = await runOn('core-queue-group', 'work-queue', { runs: 1, minCrashes: 1 });
    expect(queue.map((c) => c.valid)).toEqual([true]);
    const fanOut = await runOn('core', 'fan-out', { runs: 1, faults: [] });
    expect(fanOut.map((c) => c.valid)).toEqual([true]);
    expect(fanOut[0]!.counts.processed).toBe(fanOut[0]!.counts.acknowledged * fanOut[0]!.workload.groups);
  }, 60_000);

  it('loses what the server accepted when the link to the subscriber is cut (Toxiproxy proxy disabled)', async () => {
    const proxy = endpoint.toxiproxy!.proxy;
    const topology = await topologyOf('core', 'partition');
    const received = new Set<string>();
    const consumer = await topology.consumer('consumer-0', 'default');
    await consumer.start(async (d) => {
      received.add(d.id);
    });
    const producer = await topology.producer('producer-0');
    try {
      expect(await producer.send(message('before'))).toMatchObject({ status: 'ok' });
      // A slow link to the subscriber (the publisher only reads tiny PONGs back), then the cut.
      await toxiproxy.addToxic(proxy, {
        name: 'slow',
        type: 'bandwidth',
        stream: 'downstream',
        attributes: { rate: 16 },
      });
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, k) => producer.send(message(`m${k}`, 1024))),
      );
      expect(batch.every((o) => o.status === 'ok')).toBe(true); // the server read every one of them
      await sleep(300);
      await toxiproxy.setEnabled(proxy, false);
      // While cut off, a core publish cannot be confirmed (nats.js drops its buffer on reconnect).
      const during = await producer.send(message('during'));
      expect(during.status).not.toBe('ok');
      await toxiproxy.removeToxic(proxy, 'slow');
      await toxiproxy.setEnabled(proxy, true);
      await sleep(1500); // both clients reconnect; the subscription is re-sent
      let after = await producer.send(message('after'));
      for (let k = 0; k < 5 && after.status !== 'ok'; k++) after = await producer.send(message('after'));
      expect(after).toMatchObject({ status: 'ok' });
      await sleep(500);
      const lost = batch.filter((_, k) => !received.has(`m${k}`)).length;
      expect(lost).toBeGreaterThan(25);
      expect(received.has('before')).toBe(true);
      expect(received.has('after')).toBe(true);
      expect(received.has('during')).toBe(false);
    } finally {
      await toxiproxy.reset();
      await consumer.close();
      await producer.close();
      await topology.dispose();
    }
  }, 60_000);
});
