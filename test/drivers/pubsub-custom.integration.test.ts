/**
 * A custom Pub/Sub setup from the config (`extends: 'pubsub/pull'` with a dead-letter and a retry
 * policy) runs on the emulator with its own options: dead-lettered after exactly its attempts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customEntries, resolveCustomSetups, withCustomSetups } from '../../config/custom-setups.ts';
import { parseConfig } from '../../config/load-config.ts';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import { pubsubUnavailable } from '../../provision/local/brokers/pubsub.ts';
import { placementOf, requireBroker } from '../helpers/brokers.ts';
import { caseRunner } from '../helpers/run-on.ts';

const missing = pubsubUnavailable();
if (missing) process.stderr.write(`pubsub custom-setup integration tests skipped: ${missing}\n`);

let driver: Driver;

beforeAll(async () => {
  if (missing) return;
  await requireBroker('pubsub');
  const custom = resolveCustomSetups(
    customEntries(
      parseConfig({
        setups: [
          {
            name: 'orders-sub',
            extends: 'pubsub/pull',
            options: {
              deadLetterPolicy: { maxDeliveryAttempts: 6 },
              retryPolicy: { minimumBackoffMs: 100, maximumBackoffMs: 500 },
            },
          },
        ],
      }).setups,
    ),
  );
  driver = withCustomSetups(await createDriver('pubsub', {}, placementOf('pubsub')), custom);
}, 180_000);

afterAll(async () => {
  await driver?.close();
});

const runOn = caseRunner(
  () => driver,
  () => ({}),
  { isolation: 'inline', messages: 30, timeouts: { drainMs: 60_000 } },
);

describe.skipIf(missing !== undefined)('a custom pubsub setup on the emulator', () => {
  it('pull + deadLetterPolicy 6 + retryPolicy 100–500 ms: every poison message dead-lettered after exactly 6 deliveries', async () => {
    const [c] = await runOn('orders-sub', 'retry-dlq', { runs: 1, faults: [] });
    expect(c!.guarantee.maxAttempts).toBe(6);
    expect(c!.valid).toBe(true);
    expect(c!.workload.poison.length).toBeGreaterThan(0);
    expect(c!.counts.deadLettered).toBe(c!.workload.poison.length);
    expect(c!.counts.dlqEarly + c!.counts.dlqLate + c!.counts.dlqMissing).toBe(0);
    // The emulator stores the custom policy (100–500 ms) but does not keep to it: its first
    // redelivery comes after ~40–130 ms, every later one after ~2 s — its floor, the same as with
    // the driver's default 200 ms – 2 s (docs/drivers/pubsub.md).
    const later = c!.retryIntervals.filter((r) => r.afterDelivery > 2);
    expect(later.map((r) => r.afterDelivery)).toEqual([3, 4, 5]);
    for (const r of later) {
      expect(r.minMs).toBeGreaterThan(1_500);
      expect(r.maxMs).toBeLessThan(2_600);
    }
  }, 150_000);
});
