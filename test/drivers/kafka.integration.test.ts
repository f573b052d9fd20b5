import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../core/clock.ts';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import type { KafkaSettings } from '../../drivers/kafka/settings.ts';
import type { KafkaEndpoint } from '../../provision/endpoints.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';
import type { CaseResult } from '../../runner/case.ts';
import { run } from '../../runner/run.ts';
import { selectTargets } from '../../runner/targets.ts';
import { requireBroker } from '../helpers/brokers.ts';
import { caseRunner } from '../helpers/run-on.ts';

let endpoint: KafkaEndpoint;
let settings: KafkaSettings;
let driver: Driver;
let admin: Admin;

beforeAll(async () => {
  endpoint = await requireBroker('kafka');
  settings = { brokers: endpoint.brokers };
  driver = await createDriver('kafka', { kafka: settings });
  admin = new Kafka({ brokers: endpoint.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
}, 300_000);

afterAll(async () => {
  await admin?.disconnect();
  await driver?.close();
});

const runOn = caseRunner(
  () => driver,
  () => ({ kafka: settings }),
  { isolation: 'inline', minCrashes: 1 },
);

/** Events of a case's history file. */
function history(dir: string, c: CaseResult): Array<Record<string, unknown>> {
  return readFileSync(join(dir, c.history), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('kafka driver against a real broker', () => {
  it('commit-after-process + work-queue holds at-least-once while consumer processes are SIGKILLed', async () => {
    const cases = await runOn('commit-after-process', 'work-queue', { runs: 2, isolation: 'process' });
    expect(cases.map((c) => c.valid)).toEqual([true, true]);
    expect(cases.some((c) => c.crashes.length > 0)).toBe(true);
    for (const c of cases) {
      expect(c.counts.processed).toBe(c.counts.acknowledged);
      expect(c.diagnostics.partitions).toBe(4);
    }
  }, 120_000);

  it('commit-before-process claimed as at-least-once loses what a crashed consumer had committed', async () => {
    const cases = await runOn('commit-before-process', 'work-queue', {
      runs: 2,
      messages: 60,
      override: { delivery: 'at-least-once' },
      crashPoints: ['before-process'],
    });
    expect(cases.some((c) => c.valid === false && c.counts.lost > 0)).toBe(true);
    expect(cases.every((c) => c.valid !== 'unknown' && c.counts.duplicated === 0)).toBe(true);
  }, 120_000);

  it('transactions: consume-transform-produce stays exactly-once across SIGKILLs inside the transaction', async () => {
    const cases = await runOn('transactions', 'exactly-once', {
      runs: 2,
      isolation: 'process',
      crashPoints: ['after-process'],
    });
    expect(cases.map((c) => c.valid)).toEqual([true, true]);
    expect(cases.some((c) => c.crashes.length > 0)).toBe(true);
    for (const c of cases) expect(c.counts.processed).toBe(c.counts.acknowledged);
  }, 150_000);

  it('commit-after-process claimed as exactly-once forwards twice when a consumer dies before its commit', async () => {
    const cases = await runOn('commit-after-process', 'exactly-once', {
      runs: 2,
      crashPoints: ['after-process'],
    });
    expect(cases.some((c) => c.valid === false && c.counts.duplicated > 0)).toBe(true);
    expect(cases.every((c) => c.counts.lost === 0)).toBe(true);
  }, 120_000);

  it('retry-topics: poison messages reach the DLQ topic after exactly N deliveries, with real backoff', async () => {
    const cases = await runOn('retry-topics', 'retry-dlq', { runs: 2, faults: [] });
    for (const c of cases) {
      expect(c.valid).toBe(true);
      expect(c.guarantee.maxAttempts).toBe(3);
      expect(c.counts.deadLettered).toBe(c.workload.poison.length);
      expect(c.counts.dlqEarly + c.counts.dlqLate + c.counts.dlqMissing + c.counts.dlqUnexpected).toBe(0);
      const first = c.retryIntervals.find((r) => r.afterDelivery === 1);
      expect(first?.intendedMs).toBe(10);
      // A retry record is not handed over before its due time.
      expect(first!.minMs).toBeGreaterThanOrEqual(9);
      const second = c.retryIntervals.find((r) => r.afterDelivery === 2);
      expect(second?.intendedMs).toBe(20);
      expect(second!.minMs).toBeGreaterThanOrEqual(19);
    }
  }, 60_000);

  it('auto-commit holds at-least-once and records its background commits as info; acks-0 sends are all info', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-kafka-auto-'));
    const { targets } = selectTargets(driver, { setups: ['auto-commit'], scenarios: ['work-queue'] }, {});
    const auto = await run({
      targets,
      runs: 1,
      seed: 3,
      faults: ['consumer-crash'],
      workload: { minCrashes: 1 },
      outDir: dir,
      toolVersion: 'test',
      isolation: 'inline',
      settings: { drivers: { kafka: settings } },
    });
    const [c] = auto.cases;
    expect(c!.valid).toBe(true);
    const acks = history(dir, c!).filter((e) => e.f === 'ack' && e.type !== 'invoke');
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.every((e) => e.type === 'info')).toBe(true);

    const [fireAndForget] = await runOn('acks-0', 'work-queue', { runs: 1, seed: 5 });
    expect(fireAndForget!.valid).toBe(true);
    expect(fireAndForget!.guarantee.delivery).toBe('at-most-once');
    expect(fireAndForget!.counts.indeterminate).toBe(fireAndForget!.counts.attempted);
    expect(fireAndForget!.counts.duplicated).toBe(0);
  }, 120_000);

  it('fan-out gives every group everything; ordered keeps per-key order; idempotent-consumer holds', async () => {
    const fanOut = await runOn('commit-after-process', 'fan-out', { runs: 1, faults: [] });
    expect(fanOut[0]!.valid).toBe(true);
    expect(Object.keys(fanOut[0]!.groups).length).toBe(fanOut[0]!.workload.groups);
    const ordered = await runOn('commit-after-process', 'ordered', { runs: 1, seed: 21 });
    expect(ordered.map((c) => [c.valid, c.guarantee.ordering])).toEqual([[true, 'per-key']]);
    const idempotent = await runOn('commit-after-process', 'idempotent-consumer', { runs: 1, seed: 9 });
    expect(idempotent[0]!.valid).toBe(true);
  }, 120_000);

  it('deletes the topics and consumer groups it created, crashed members included', async () => {
    const [c] = await runOn('retry-topics', 'retry-dlq', { runs: 1, seed: 12, minCrashes: 1 });
    const topics = c!.diagnostics.topics as string[];
    const groups = c!.diagnostics.groups as string[];
    expect(topics).toHaveLength(4); // work, two retry topics, dead-letter topic
    expect(groups).toHaveLength(2); // the group and its dead-letter reader
    expect(c!.diagnostics.cleanup).toBeUndefined();
    const existing = new Set(await admin.listTopics());
    expect(topics.filter((t) => existing.has(t))).toEqual([]);
    const { groups: live } = await admin.listGroups();
    expect(live.map((g) => g.groupId).filter((g) => groups.includes(g))).toEqual([]);
    // The checks can tell: a topic that is there is found.
    expect(existing.has('__consumer_offsets')).toBe(true);
  }, 90_000);

  it('records a send whose acknowledgement never comes as info, and one that cannot connect as fail', async () => {
    const quick = await createDriver('kafka', { kafka: { ...settings, sendTimeoutMs: 2000 } });
    const topology = await quick.createTopology(
      {
        caseId: `sends-${Date.now()}`,
        setup: quick.setups.find((s) => s.name === 'commit-after-process')!,
        groups: ['default'],
        partitions: 1,
        seed: 1,
      },
      { signal: new AbortController().signal, log: () => {} },
    );
    const toxiproxy = new ToxiproxyApi(endpoint.toxiproxy!.apiUrl);
    const proxy = endpoint.toxiproxy!.proxy;
    const message = (id: string) => ({ id, key: 'k', poison: false, payload: new Uint8Array(4) });
    const producer = await topology.producer('producer-0');
    try {
      const first = await producer.send(message('a'));
      expect(first).toMatchObject({ status: 'ok', offset: 0 });
      expect(typeof (first as { partition?: number }).partition).toBe('number');
      expect(await producer.send(message('b'))).toMatchObject({ status: 'ok', offset: 1 });
      // Acknowledgements are swallowed on their way back: the broker may well have the message.
      await toxiproxy.addToxic(proxy, {
        name: 'no-acks',
        type: 'timeout',
        stream: 'downstream',
        attributes: { timeout: 0 },
      });
      expect(await producer.send(message('c'))).toMatchObject({ status: 'info' });
      await toxiproxy.removeToxic(proxy, 'no-acks');
      // The proxy is down: a new producer cannot connect, nothing is written.
      await toxiproxy.setEnabled(proxy, false);
      const fresh = await topology.producer('producer-1');
      expect(await fresh.send(message('d'))).toMatchObject({ status: 'fail' });
      await fresh.close();
    } finally {
      await toxiproxy.reset();
      await sleep(200);
      await producer.close();
      await topology.dispose();
      await quick.close();
    }
  }, 60_000);
});
