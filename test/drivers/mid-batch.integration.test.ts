import { beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import { MemoryDriver } from '../../drivers/memory/memory-driver.ts';
import { crashPointsFor } from '../../runner/explore.ts';
import { findScenario } from '../../scenarios/catalogue.ts';
import { MID_BATCH } from '../../scenarios/scenario.ts';
import { placementOf, requireBroker } from '../helpers/brokers.ts';
import { caseRunner } from '../helpers/run-on.ts';

/** Consumers that crash after acking a delivery with more of its batch still to come. */
const drivers: Record<string, Driver> = {};

beforeAll(async () => {
  await Promise.all([requireBroker('kafka'), requireBroker('elasticmq')]);
  drivers.kafka = await createDriver('kafka', {}, placementOf('kafka'));
  drivers.sqs = await createDriver(
    'sqs',
    { sqs: { implementation: 'elasticmq', visibilityTimeoutSeconds: 2 } },
    placementOf('elasticmq'),
  );
}, 300_000);

describe('the mid-batch crash point', () => {
  it('is drawn only where deliveries come in batches', () => {
    const workQueue = findScenario('work-queue')!;
    const memory = new MemoryDriver({});
    expect(crashPointsFor({ scenario: workQueue, setup: memory.setups[0]! })).not.toContain(MID_BATCH);
    const kafkaSetup = drivers.kafka!.setups.find((s) => s.name === 'commit-after-process')!;
    expect(crashPointsFor({ scenario: workQueue, setup: kafkaSetup })).toContain(MID_BATCH);
    const autoCommit = drivers.kafka!.setups.find((s) => s.name === 'auto-commit');
    if (autoCommit)
      expect(crashPointsFor({ scenario: workQueue, setup: autoCommit })).not.toContain(MID_BATCH);
  });

  it.each([
    ['kafka', 'commit-after-process'],
    ['sqs', 'standard'],
  ])(
    'fires on %s %s, and at-least-once still holds',
    async (name, setup) => {
      const runOn = caseRunner(
        () => drivers[name]!,
        () => (name === 'sqs' ? { sqs: { implementation: 'elasticmq', visibilityTimeoutSeconds: 2 } } : {}),
        { runs: 1, messages: 200, isolation: 'inline' },
      );
      const [c] = await runOn(setup, 'work-queue', { minCrashes: 2, crashPoints: [MID_BATCH] });
      expect(c!.crashes.map((x) => x.point)).toEqual([MID_BATCH, MID_BATCH]);
      expect(c!.reasons).toEqual([]);
      expect(c!.valid).toBe(true);
      // SQS handles a receive's messages at once: those in hand at the crash come back after the
      // visibility timeout. Kafka hands them over one by one: the rest of the batch is fetched again
      // by whoever takes the partition, never having been delivered.
      if (name === 'sqs') expect(c!.counts.redelivered).toBeGreaterThan(0);
    },
    180_000,
  );
});
