import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/events.ts';
import { readHistory } from '../../core/history-reader.ts';
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
      const cases = await runOn(setup, 'work-queue', { minCrashes: 2, crashPoints: [MID_BATCH] });
      const [c] = cases;
      expect(c!.crashes.map((x) => x.point)).toEqual([MID_BATCH, MID_BATCH]);
      expect(c!.reasons).toEqual([]);
      expect(c!.valid).toBe(true);
      // SQS handles a receive's messages at once: those delivered to the crashed consumer and not yet
      // acknowledged come back after the visibility timeout (how many that is depends on how fast
      // their siblings were acked: zero is possible). Kafka hands them over one by one: the rest of
      // the batch is fetched again by whoever takes the partition, never having been delivered.
      if (name === 'sqs') {
        const { events } = await readHistory(join(cases.outDir, c!.history));
        for (const held of heldAtCrash(events))
          expect(events.some((e) => e.f === 'deliver' && e.id === held.id && e.t > held.crashT)).toBe(true);
      }
    },
    180_000,
  );
});

/** Messages a consumer had been delivered and had not begun to acknowledge when it crashed. */
function heldAtCrash(events: HistoryEvent[]): { id: string; crashT: number }[] {
  const held: { id: string; crashT: number }[] = [];
  const lastCrash = new Map<unknown, number>();
  for (const crash of events) {
    if (crash.f !== 'crash' || crash.type !== 'info') continue;
    const since = lastCrash.get(crash.target) ?? -1;
    lastCrash.set(crash.target, crash.t);
    // This incarnation's own events: deliveries from before an earlier crash were that one's.
    const mine = events.filter((e) => e.p === crash.target && e.t > since && e.t <= crash.t);
    // An ack invoked before the crash may have reached the broker (an SQS delete in flight).
    const acked = new Set(mine.filter((e) => e.f === 'ack').map((e) => e.id as string));
    for (const e of mine)
      if (e.f === 'deliver' && !acked.has(e.id as string)) held.push({ id: e.id as string, crashT: crash.t });
  }
  return held;
}
