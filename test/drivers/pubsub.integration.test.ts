import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import type { PubsubEndpoint } from '../../provision/endpoints.ts';
import { pubsubUnavailable } from '../../provision/local/brokers/pubsub.ts';
import { brokersUp } from '../../provision/local/index.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';
import { placementOf, requireBroker } from '../helpers/brokers.ts';
import { caseRunner } from '../helpers/run-on.ts';

// The emulator ships with the Cloud SDK and cannot be installed by brokerproof: without it these
// tests are skipped, and say why.
const missing = pubsubUnavailable();
if (missing) process.stderr.write(`pubsub integration tests skipped: ${missing}\n`);

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

// A message a dead consumer held comes back only after the 10 s ack deadline (the emulator's
// minimum), in waves a deadline apart, and the drain then waits two deadlines of quiet: a crash
// late in a case needs far more than the default 20 s drain.
const runOn = caseRunner(
  () => driver,
  () => ({}),
  { isolation: 'inline', messages: 40, timeouts: { drainMs: 75_000 } },
);

/** How many acks the client confirmed (`ack` `ok`) in a case's history. */
function confirmedAcks(outDir: string, history: string): number {
  return readFileSync(join(outDir, history), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"f":"ack"') && line.includes('"type":"ok"')).length;
}

// Cases of different tests use topics of their own, so they run side by side: most of their time
// is spent waiting out ack deadlines.
describe.skipIf(missing !== undefined).concurrent('pubsub driver against the Cloud SDK emulator', () => {
  it('pull + work-queue holds at-least-once while consumer processes are SIGKILLed', async () => {
    const cases = await runOn('pull', 'work-queue', { runs: 1, isolation: 'process', minCrashes: 1 });
    const [c] = cases;
    expect(c!.valid).toBe(true);
    expect(c!.crashes.length).toBeGreaterThan(0);
    // What the killed consumer held came back once its ack deadline passed.
    expect(c!.counts.redelivered).toBeGreaterThan(0);
  }, 120_000);

  it('ordering-keys keeps per-key order without consumer faults', async () => {
    const cases = await runOn('ordering-keys', 'ordered', { runs: 1, faults: [] });
    expect(cases.map((c) => [c.valid, c.guarantee.ordering])).toEqual([[true, 'per-key']]);
  }, 120_000);

  it('ordering-keys with a crash before processing: the emulator hands the key’s later messages to another subscriber (reordered)', async () => {
    const cases = await runOn('ordering-keys', 'ordered', {
      runs: 1,
      minCrashes: 1,
      crashPoints: ['before-process'],
    });
    const [c] = cases;
    expect(c!.crashes.length).toBeGreaterThan(0);
    expect(c!.valid).toBe(false);
    expect(c!.violations).toEqual(['reordered']);
    // Nothing is lost: the held message and every later one of its key come again, in order.
    expect(c!.counts.lost).toBe(0);
  }, 120_000);

  it('dead-letter dead-letters every poison message after exactly 5 deliveries, with measured backoff', async () => {
    const cases = await runOn('dead-letter', 'retry-dlq', { runs: 1, faults: [] });
    const [c] = cases;
    expect(c!.valid).toBe(true);
    expect(c!.guarantee.maxAttempts).toBe(5);
    expect(c!.workload.poison.length).toBeGreaterThan(0);
    expect(c!.counts.deadLettered).toBe(c!.workload.poison.length);
    expect(c!.counts.dlqEarly + c!.counts.dlqLate + c!.counts.dlqMissing + c!.counts.dlqUnexpected).toBe(0);
    // The retry policy's backoff (min 200 ms, max 2 s) as measured between deliveries: the
    // emulator's first redelivery came after 80–370 ms, every later one close to the 2 s maximum.
    const intervals = c!.retryIntervals;
    expect(intervals.map((r) => r.afterDelivery)).toEqual([1, 2, 3, 4]);
    expect(intervals[0]!.maxMs).toBeLessThan(1_500);
    expect(intervals[3]!.minMs).toBeGreaterThanOrEqual(1_500);
    expect(intervals[3]!.maxMs).toBeLessThan(4_000);
  }, 120_000);

  it('pull claimed exactly-once is violated by consumer crashes: duplicated > 0', async () => {
    const cases = await runOn('pull', 'exactly-once', {
      runs: 1,
      seed: 3,
      minCrashes: 1,
      crashPoints: ['after-process'],
      override: { delivery: 'exactly-once' },
    });
    expect(cases[0]!.valid).toBe(false);
    expect(cases[0]!.counts.duplicated).toBeGreaterThan(0);
  }, 120_000);

  it('exactly-once-delivery confirms acks and never redelivers a confirmed one, yet a crash duplicates processing', async () => {
    const cases = await runOn('exactly-once-delivery', 'exactly-once', {
      runs: 1,
      seed: 3,
      minCrashes: 1,
      crashPoints: ['after-process'],
    });
    const [c] = cases;
    expect(c!.claimBasis).toBe('vendor');
    expect(confirmedAcks(cases.outDir, c!.history)).toBeGreaterThan(0);
    expect(c!.counts.duplicatedAfterAck).toBe(0);
    expect(c!.counts.duplicated).toBeGreaterThan(0);
  }, 120_000);

  it('fan-out gives every subscription every message through a consumer crash', async () => {
    const cases = await runOn('fan-out', 'fan-out', { runs: 1 });
    const [c] = cases;
    expect(c!.valid).toBe(true);
    expect(Object.keys(c!.groups).length).toBe(c!.workload.groups);
  }, 120_000);
});

describe.skipIf(missing !== undefined)('brokers up on a machine without the emulator', () => {
  it('reports Pub/Sub unavailable with the reason instead of failing', async () => {
    const result = await brokersUp({
      only: ['pubsub'],
      env: { ...process.env, BROKERPROOF_PUBSUB_EMULATOR_DIR: '/nowhere' },
    });
    expect(result.failures).toEqual([]);
    expect(result.unavailable).toEqual([
      expect.objectContaining({ broker: 'pubsub', message: expect.stringMatching(/emulator was not found/) }),
    ]);
    expect(result.up).toEqual([]);
  }, 60_000);
});

// After the concurrent ones: a partition of the consumers' proxy would cut every case's consumers.
describe.skipIf(missing !== undefined)('pubsub driver under network faults', () => {
  it('a partition and latency on the consumers’ link run, and at-least-once still holds', async () => {
    const cases = await runOn('pull', 'work-queue', {
      runs: 1,
      seed: 5,
      faults: ['partition@consumers', 'latency@consumers'],
    });
    const [c] = cases;
    expect(c!.valid).toBe(true);
    const started = c!.faultTimeline.filter((f) => f.error === undefined).map((f) => f.fault);
    expect(started).toContain('partition');
  }, 120_000);
});
