import { join } from 'node:path';
import amqp from 'amqplib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import type { RabbitmqEndpoint } from '../../provision/endpoints.ts';
import { requireBroker } from '../helpers/brokers.ts';
import { deliveriesBeforeDeadLetter } from '../helpers/history-files.ts';
import { type Cases, caseRunner } from '../helpers/run-on.ts';

let endpoint: RabbitmqEndpoint;
let driver: Driver;

beforeAll(async () => {
  endpoint = await requireBroker('rabbitmq');
  driver = await createDriver('rabbitmq', { rabbitmq: { url: endpoint.url } });
}, 300_000);

const runOn = caseRunner(
  () => driver,
  () => ({ rabbitmq: { url: endpoint.url } }),
);

/** Every case holds, and every poison message reached the DLQ after exactly `n` deliveries. */
function expectDeadLetteredAfter(cases: Cases, n: number): void {
  let poison = 0;
  for (const c of cases) {
    expect(c.valid, `${c.id}: ${c.violations.join(', ')} ${c.reasons.join('; ')}`).toBe(true);
    expect(c.guarantee.maxAttempts).toBe(n);
    expect(c.counts.deadLettered).toBe(c.workload.poison.length);
    expect(c.counts.dlqEarly + c.counts.dlqLate + c.counts.dlqMissing + c.counts.dlqUnexpected).toBe(0);
    const deliveries = deliveriesBeforeDeadLetter(join(cases.outDir, c.history));
    expect(deliveries.size).toBe(c.workload.poison.length);
    for (const [id, count] of deliveries) expect(count, `${c.id}: ${id}`).toBe(n);
    poison += deliveries.size;
  }
  expect(poison).toBeGreaterThan(0);
}

/**
 * Declares `queue` again with `args` on a channel of its own: RabbitMQ refuses (406
 * PRECONDITION_FAILED, "inequivalent arg") when an argument differs from what the queue was
 * declared with — which tells what the broker really holds.
 */
async function redeclare(queue: string, args: Record<string, unknown>): Promise<string> {
  const connection = await amqp.connect(endpoint.url);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    await channel.assertQueue(queue, { durable: true, arguments: args });
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  } finally {
    await connection.close().catch(() => {});
  }
}

describe('rabbitmq dead-lettering: at-most-once and at-least-once strategies, and --max-attempts', () => {
  it('quorum-dlx-at-least-once + retry-dlq: every poison message dead-lettered after exactly N = 3 deliveries', async () => {
    const cases = await runOn('quorum-dlx-at-least-once', 'retry-dlq', { runs: 3, faults: [] });
    expectDeadLetteredAfter(cases, 3);
  }, 180_000);

  it('--max-attempts 5 on quorum-dlx: the broker dead-letters after exactly 5 deliveries, not only the claim', async () => {
    const cases = await runOn('quorum-dlx', 'retry-dlq', {
      runs: 2,
      faults: [],
      override: { maxAttempts: 5 },
    });
    expectDeadLetteredAfter(cases, 5);
  }, 180_000);

  it('--max-attempts 5 on quorum-dlx-at-least-once: exactly 5 deliveries too', async () => {
    const cases = await runOn('quorum-dlx-at-least-once', 'retry-dlq', {
      runs: 2,
      faults: [],
      override: { maxAttempts: 5 },
      seed: 13,
    });
    expectDeadLetteredAfter(cases, 5);
  }, 180_000);

  it('the broker holds the declared strategy, overflow and delivery limit (N − 1 for N = maxAttempts)', async () => {
    const context = { signal: new AbortController().signal, log: () => {} };
    const declared = async (setupName: string, maxAttempts: number) => {
      const setup = driver.setups.find((s) => s.name === setupName)!;
      const topology = await driver.createTopology(
        {
          caseId: `dlx-args-${setupName}-${Date.now()}`,
          setup,
          groups: ['default'],
          partitions: 1,
          maxAttempts,
          seed: 1,
        },
        context,
      );
      const [queue, deadLetter] = topology.diagnostics!().queues as string[];
      return { topology, queue: queue!, deadLetter: deadLetter! };
    };

    const atLeastOnce = await declared('quorum-dlx-at-least-once', 5);
    const atMostOnce = await declared('quorum-dlx', 5);
    try {
      const base = (deadLetter: string) => ({
        'x-queue-type': 'quorum',
        'x-expires': 30 * 60_000,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': deadLetter,
      });
      const leastArgs = {
        ...base(atLeastOnce.deadLetter),
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
        'x-delivery-limit': 4,
      };
      const mostArgs = {
        ...base(atMostOnce.deadLetter),
        'x-dead-letter-strategy': 'at-most-once',
        'x-delivery-limit': 4,
      };
      // The same arguments are accepted: that is what the driver declared.
      expect(await redeclare(atLeastOnce.queue, leastArgs)).toBe('accepted');
      expect(await redeclare(atMostOnce.queue, mostArgs)).toBe('accepted');
      // Any one of them different is refused.
      expect(
        await redeclare(atLeastOnce.queue, { ...leastArgs, 'x-dead-letter-strategy': 'at-most-once' }),
      ).toMatch(/inequivalent arg 'x-dead-letter-strategy'/);
      expect(await redeclare(atLeastOnce.queue, { ...leastArgs, 'x-overflow': 'drop-head' })).toMatch(
        /inequivalent arg 'x-overflow'/,
      );
      // --max-attempts 5 is x-delivery-limit 4 on the broker, not the setup's default 3 − 1.
      expect(await redeclare(atMostOnce.queue, { ...mostArgs, 'x-delivery-limit': 2 })).toMatch(
        /inequivalent arg 'x-delivery-limit'/,
      );
    } finally {
      await atLeastOnce.topology.dispose();
      await atMostOnce.topology.dispose();
    }
  }, 60_000);
});
