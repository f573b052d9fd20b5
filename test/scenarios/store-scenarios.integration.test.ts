import { beforeAll, describe, expect, it } from 'vitest';
import { readHistory } from '../../core/history-reader.ts';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import type { PostgresEndpoint } from '../../provision/endpoints.ts';
import { storeFaultTargets } from '../../provision/store.ts';
import type { StoreChoice } from '../../runner/case-store.ts';
import { idempotentConsumer } from '../../scenarios/idempotent-consumer/index.ts';
import { placementOf, requireBroker } from '../helpers/brokers.ts';
import { type Cases, caseRunner } from '../helpers/run-on.ts';

/**
 * The store scenarios on real brokers with a real PostgreSQL: effects judged from the ledger read
 * back, outbox against dual write, and the store's own outages.
 */
let store: StoreChoice;
const drivers: Record<string, Driver> = {};

beforeAll(async () => {
  const [postgres] = await Promise.all([
    requireBroker('postgres') as Promise<PostgresEndpoint>,
    requireBroker('rabbitmq'),
    requireBroker('kafka'),
  ]);
  store = {
    kind: 'postgres',
    url: postgres.connectionString,
    faultTargets: storeFaultTargets(postgres, true),
  };
  drivers.rabbitmq = await createDriver('rabbitmq', {}, placementOf('rabbitmq'));
  drivers.kafka = await createDriver('kafka', {}, placementOf('kafka'));
}, 300_000);

const on = (name: 'rabbitmq' | 'kafka') =>
  caseRunner(
    () => drivers[name]!,
    () => ({}),
    { runs: 1, messages: 150, seed: 5 },
  );
const SETUP = { rabbitmq: 'quorum', kafka: 'commit-after-process' } as const;

/** Every crash point of the idempotent consumer, in one case. */
const allPoints = { minCrashes: 3, crashPoints: [...idempotentConsumer.crashPoints] };

async function stateEvents(cases: Cases) {
  const history = await readHistory(`${cases.outDir}/${cases[0]!.history}`);
  return history.events.filter((e) => e.f === 'state');
}

describe.each(['rabbitmq', 'kafka'] as const)('idempotent-consumer on %s with PostgreSQL', (name) => {
  it('dedupe-in-transaction holds effectively-once; the ledger read back holds each credit once', async () => {
    const cases = await on(name)(SETUP[name], 'idempotent-consumer', { store, ...allPoints });
    const c = cases[0]!;
    expect(c.store).toBe('postgres');
    expect(c.reasons).toEqual([]);
    expect(c.valid).toBe(true);
    expect(c.crashes.length).toBeGreaterThanOrEqual(3);
    const states = await stateEvents(cases);
    expect(states.filter((e) => e.id !== undefined)).toHaveLength(150);
    expect(states.every((e) => e.id === undefined || e.effects === 1)).toBe(true);
  }, 240_000);

  it('check-then-act claimed effectively-once credits twice, found in the ledger', async () => {
    const cases = await on(name)(SETUP[name], 'idempotent-consumer', {
      store,
      variant: 'check-then-act',
      override: { delivery: 'effectively-once' },
      minCrashes: 3,
      crashPoints: ['after-effect'],
    });
    const c = cases[0]!;
    expect(c.valid).toBe(false);
    expect(c.counts.effectDuplicated).toBeGreaterThan(0);
    const doubled = (await stateEvents(cases)).filter((e) => typeof e.effects === 'number' && e.effects > 1);
    expect(doubled.length).toBe(c.counts.effectDuplicated);
  }, 240_000);
});

describe('outbox and dual write on rabbitmq with PostgreSQL', () => {
  const runOn = on('rabbitmq');

  it('outbox holds at-least-once through producer and consumer crashes', async () => {
    const cases = await runOn('quorum', 'outbox', { store, faults: ['producer-crash', 'consumer-crash'] });
    const c = cases[0]!;
    expect(c.reasons).toEqual([]);
    expect(c.valid).toBe(true);
    expect(c.crashes.some((x) => x.target.startsWith('producer'))).toBe(true);
    expect(c.counts.lost).toBe(0);
  }, 240_000);

  it('dual write (commit, then publish) loses the orders a producer crash caught in between', async () => {
    const cases = await runOn('quorum', 'dual-write', { store, faults: ['producer-crash'], seed: 11 });
    const c = cases[0]!;
    expect(c.valid).toBe(false);
    expect(c.counts.lost).toBeGreaterThan(0);
    expect(c.anomalies.find((a) => a.kind === 'lost')?.detail).toMatch(/order committed/);
  }, 240_000);

  it('a partitioned store is waited out: no false lost, never a violation', async () => {
    const cases = await runOn('quorum', 'idempotent-consumer', {
      store,
      faults: ['partition@store'],
      seed: 12,
    });
    const c = cases[0]!;
    expect(c.faultTimeline.some((f) => f.fault === 'partition' && f.target === 'toxiproxy:postgres')).toBe(
      true,
    );
    expect(c.counts.lost).toBe(0);
    expect(c.valid).not.toBe(false);
  }, 240_000);

  it('event-sourcing on PostgreSQL holds optimistic concurrency and its projection through partitions', async () => {
    const cases = await runOn('quorum', 'event-sourcing', {
      store,
      faults: ['consumer-crash', 'partition'],
      messages: 120,
      seed: 4,
    });
    const c = cases[0]!;
    expect(c.guarantee).toMatchObject({ concurrency: 'optimistic', projection: 'idempotent-by-version' });
    expect(c.faultTimeline.some((f) => f.fault === 'partition')).toBe(true);
    expect(c.reasons).toEqual([]);
    const decisive = c.anomalies.filter((a) => c.violations.includes(a.kind)).slice(0, 3);
    expect({ valid: c.valid, violations: c.violations, decisive }).toEqual({
      valid: true,
      violations: [],
      decisive: [],
    });
  }, 240_000);
});
