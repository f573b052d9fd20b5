import { beforeAll, describe, expect, it } from 'vitest';
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

beforeAll(async () => {
  await requireBroker('nats');
  nats = await createDriver('nats', {}, placementOf('nats'));
}, 300_000);

describe('event-sourcing on NATS JetStream as the event store', () => {
  it('refuses stale appends, and holds optimistic concurrency and its projection through crashes and partitions', async () => {
    const runOn = caseRunner(
      () => nats,
      () => ({}),
      { runs: 1, messages: 150, seed: 6 },
    );
    const cases = await runOn('jetstream', 'event-sourcing', {
      variant: 'broker-log',
      faults: ['consumer-crash', 'partition'],
      store: { kind: 'memory' },
    });
    const c = cases[0]!;
    expect(c.guarantee).toMatchObject({ concurrency: 'optimistic', projection: 'idempotent-by-version' });
    expect(c.faultTimeline.some((f) => f.fault === 'partition')).toBe(true);
    const decisive = c.anomalies.filter((a) => c.violations.includes(a.kind)).slice(0, 3);
    expect({ valid: c.valid, reasons: c.reasons, decisive }).toEqual({
      valid: true,
      reasons: [],
      decisive: [],
    });
    const { events } = await readHistory(`${cases.outDir}/${c.history}`);
    // Writers raced for the same versions and JetStream refused the stale ones.
    expect(events.some((e) => e.f === 'append' && e.type === 'fail' && e.error === 'conflict')).toBe(true);
    expect(events.filter((e) => e.f === 'state' && e.group === 'replay' && e.stream).length).toBeGreaterThan(
      0,
    );
  }, 240_000);
});
