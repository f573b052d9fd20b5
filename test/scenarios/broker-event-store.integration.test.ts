import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory } from '../../core/history-reader.ts';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import { placementOf, requireBroker } from '../helpers/brokers.ts';
import { caseRunner } from '../helpers/run-on.ts';

/**
 * NATS JetStream as the event store: a stream is a subject, an append a publish with
 * Nats-Expected-Last-Subject-Sequence; the projection reads the same stream.
 */
let nats: Driver;
let kafka: Driver;

beforeAll(async () => {
  await requireBroker('nats');
  nats = await createDriver('nats', {}, placementOf('nats'));
}, 300_000);

afterAll(async () => {
  await nats?.close();
  await kafka?.close();
});

/**
 * The broker-log variant on `setup` under consumer crashes and a partition: the claim is the
 * setup's, the partition fired, nothing forbidden was seen. The case and its history, to look further.
 */
async function holdsThroughFaults(
  runOn: ReturnType<typeof caseRunner>,
  setup: string,
  concurrency: 'optimistic' | 'single-writer',
) {
  const cases = await runOn(setup, 'event-sourcing', {
    variant: 'broker-log',
    faults: ['consumer-crash', 'partition'],
    store: { kind: 'memory' },
  });
  const c = cases[0]!;
  expect(c.guarantee).toMatchObject({ concurrency, projection: 'idempotent-by-version' });
  expect(c.faultTimeline.some((f) => f.fault === 'partition')).toBe(true);
  const decisive = c.anomalies.filter((a) => c.violations.includes(a.kind)).slice(0, 3);
  expect({ valid: c.valid, reasons: c.reasons, decisive }).toEqual({
    valid: true,
    reasons: [],
    decisive: [],
  });
  return { c, events: (await readHistory(`${cases.outDir}/${c.history}`)).events };
}

describe('event-sourcing on NATS JetStream as the event store', () => {
  it('refuses stale appends, and holds optimistic concurrency and its projection through crashes and partitions', async () => {
    const runOn = caseRunner(
      () => nats,
      () => ({}),
      { runs: 1, messages: 150, seed: 6 },
    );
    const { events } = await holdsThroughFaults(runOn, 'jetstream', 'optimistic');
    // Writers raced for the same versions and JetStream refused the stale ones.
    expect(events.some((e) => e.f === 'append' && e.type === 'fail' && e.error === 'conflict')).toBe(true);
    expect(events.filter((e) => e.f === 'state' && e.group === 'replay' && e.stream).length).toBeGreaterThan(
      0,
    );
  }, 240_000);
});

/**
 * Kafka as the event store: a stream is a key, and Kafka takes any append — no expected offset.
 * Its setup claims single-writer streams: the scenario gives each stream one writer, which keeps the
 * stream's version itself and reads the key's partition back only when it starts, after a crash or
 * after an unknown outcome.
 */
describe('event-sourcing on Kafka as the event store', () => {
  beforeAll(async () => {
    await requireBroker('kafka');
    kafka = await createDriver('kafka', {}, placementOf('kafka'));
  }, 300_000);

  const runOn = caseRunner(
    () => kafka,
    () => ({}),
    { runs: 1, messages: 150, seed: 6 },
  );

  it('holds with one writer a stream, through consumer crashes and partitions', async () => {
    const { c, events } = await holdsThroughFaults(runOn, 'commit-after-process', 'single-writer');
    const appends = events.filter((e) => e.f === 'append');
    // Nobody else writes a stream: nothing to conflict with, one writer each.
    expect(appends.some((e) => e.type === 'fail' && e.error === 'conflict')).toBe(false);
    const writers = new Map<string, Set<string>>();
    for (const e of appends) writers.set(e.stream, (writers.get(e.stream) ?? new Set()).add(e.p));
    expect([...writers.values()].every((w) => w.size === 1)).toBe(true);
    expect(c.counts.forked ?? 0).toBe(0);
    // Every stream was read back from its partition after the drain.
    expect(events.filter((e) => e.f === 'state' && e.group === 'replay' && e.stream).length).toBe(
      writers.size,
    );
  }, 240_000);

  it('two writers a stream (the claim overridden to optimistic) fork it: caught', async () => {
    const cases = await runOn('commit-after-process', 'event-sourcing', {
      variant: 'broker-log',
      faults: [],
      override: { concurrency: 'optimistic' },
      store: { kind: 'memory' },
    });
    const c = cases[0]!;
    expect(c.guarantee).toMatchObject({ concurrency: 'optimistic' });
    expect(c.valid).toBe(false);
    expect(c.violations).toContain('forked');
    expect(c.counts.forked).toBeGreaterThan(0);
    const { events } = await readHistory(`${cases.outDir}/${c.history}`);
    // Kafka refused nothing: it has no expected offset to check.
    expect(events.some((e) => e.f === 'append' && e.type === 'fail')).toBe(false);
  }, 240_000);
});
