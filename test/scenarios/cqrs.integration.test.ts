import { beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import type { PostgresEndpoint } from '../../provision/endpoints.ts';
import { storeFaultTargets } from '../../provision/store.ts';
import type { CaseResult } from '../../runner/case.ts';
import type { StoreChoice } from '../../runner/case-store.ts';
import type { StaleReadMeasurement } from '../../scenarios/kit/event-sourcing/checker.ts';
import { placementOf, requireBroker } from '../helpers/brokers.ts';
import { caseRunner } from '../helpers/run-on.ts';

/**
 * CQRS on real brokers with the query model in a real PostgreSQL: the checkpoint in the read
 * model's transaction holds through crashes between the writes on two brokers; before it, the
 * crash loses the event.
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
    { runs: 1, messages: 120, seed: 5 },
  );
const SETUP = { rabbitmq: 'quorum', kafka: 'commit-after-process' } as const;
const betweenWrites = { minCrashes: 2, crashPoints: ['between-writes'] };

function decisive(c: CaseResult) {
  return {
    valid: c.valid,
    reasons: c.reasons,
    violations: c.violations,
    examples: c.anomalies.filter((a) => c.violations.includes(a.kind)).slice(0, 3),
  };
}

describe('cqrs with the query model in PostgreSQL', () => {
  it.each(['rabbitmq', 'kafka'] as const)(
    'checkpoint-in-transaction holds exactly-once projections on %s through crashes between the writes',
    async (name) => {
      const [c] = await on(name)(SETUP[name], 'cqrs', { store, ...betweenWrites });
      expect(c!.guarantee).toMatchObject({ projection: 'exactly-once', concurrency: 'optimistic' });
      expect(c!.crashes.filter((x) => x.point === 'between-writes').length).toBeGreaterThanOrEqual(1);
      expect(decisive(c!)).toEqual({ valid: true, reasons: [], violations: [], examples: [] });
      const stale = c!.measurements?.staleReads as StaleReadMeasurement | undefined;
      expect(stale?.queries).toBeGreaterThan(0);
    },
    240_000,
  );

  it('checkpoint-before on rabbitmq loses what a crash between the writes had checkpointed', async () => {
    const [c] = await on('rabbitmq')(SETUP.rabbitmq, 'cqrs', {
      store,
      variant: 'checkpoint-before',
      ...betweenWrites,
    });
    expect(c!.crashes.some((x) => x.point === 'between-writes')).toBe(true);
    expect(c!.valid).toBe(false);
    expect(c!.counts.projectionLost).toBeGreaterThan(0);
  }, 240_000);
});
