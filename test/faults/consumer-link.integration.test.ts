/**
 * A network fault on one consumer's link (`partition@consumer`): each consumer of the case reaches
 * the broker through a Toxiproxy proxy of its own, created for the case and deleted after it, so
 * the targeted consumer is cut off while the others keep receiving. Real brokers, explicit plans.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/events.ts';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import type { FaultPlan } from '../../faults/fault-plan.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';
import type { CaseResult } from '../../runner/case.ts';
import { placementOf, requireBroker } from '../helpers/brokers.ts';
import { okDuring, pacedWorkload, runPlanned } from '../helpers/planned-case.ts';

const CONSUMERS = 3;
const onConsumer = (consumer: number, atMs: number, durationMs: number): FaultPlan => ({
  kind: 'partition',
  atMs,
  durationMs,
  role: 'consumer',
  params: { consumer },
});

/** Deliveries per consumer while the fault was in force (after 300 ms: what was already on its way). */
function deliveriesByConsumer(result: CaseResult, events: HistoryEvent[]): number[] {
  const target = result.faultTimeline[0]?.target ?? '?';
  return Array.from({ length: CONSUMERS }, (_, c) =>
    okDuring('deliver', result, events, target, 300, `consumer-${c}`),
  );
}

/** Every delivery to consumer `p` in the case (the cut one got its share before and after). */
const deliveries = (events: HistoryEvent[], p: string) =>
  events.filter((e) => e.f === 'deliver' && e.type === 'ok' && e.p === p).length;

/** Per-case proxies still in Toxiproxy (there should be none once a case is over). */
async function leftoverProxies(apiUrl: string): Promise<string[]> {
  return Object.keys(await new ToxiproxyApi(apiUrl).proxies()).filter((name) => name.startsWith('bp-'));
}

/** The runner's log lines about per-consumer proxies (how long creating and deleting them took). */
const timings: string[] = [];
const log = (message: string) => {
  if (/per-consumer proxies/.test(message)) timings.push(message);
};

afterAll(() => {
  for (const line of timings) console.log(line);
});

describe('a partition of one consumer’s link', () => {
  describe('NATS core', () => {
    let nats: Driver;
    const settings = { nats: { publishTimeoutMs: 2000 } };
    beforeAll(async () => {
      await requireBroker('nats');
      nats = await createDriver('nats', settings, placementOf('nats'));
    }, 300_000);
    afterAll(async () => {
      await nats?.close();
    });

    it('cuts consumer-1 alone: the others keep receiving; what consumer-1 had on its way may be lost', async () => {
      const started = Date.now();
      const { result, events } = await runPlanned(
        nats,
        {
          setup: 'core',
          scenario: 'work-queue',
          override: { delivery: 'at-least-once' },
          workload: pacedWorkload(240, 20, [onConsumer(1, 1000, 2500)], CONSUMERS),
          settings,
          // Worker processes: the consumer's own address travels in its worker spec.
          isolation: 'process',
        },
        log,
      );
      const [fault] = result.faultTimeline;
      expect(fault?.target).toMatch(/^toxiproxy:bp-nats\.core\.work-queue\.roles-\d+-c1$/);
      expect(fault?.error).toBeUndefined();
      const during = deliveriesByConsumer(result, events);
      expect(during[1]).toBe(0);
      expect(deliveries(events, 'consumer-1')).toBeGreaterThan(0);
      expect(during[0]).toBeGreaterThan(5);
      expect(during[2]).toBeGreaterThan(5);
      // Core NATS forgets a message once written to a socket: the cut may lose some. Honest verdict.
      if (result.counts.lost > 0) {
        expect(result.valid).toBe(false);
        expect(result.violations).toContain('lost');
      }
      expect(await leftoverProxies(placementOf('nats').endpoint.toxiproxy!.apiUrl)).toEqual([]);
      console.log(
        `nats core, consumer-1 partitioned: deliveries during the cut by consumer ${during.join('/')}; lost ${result.counts.lost} of ${result.counts.acknowledged}; verdict ${result.valid}; case ${Date.now() - started} ms`,
      );
    }, 120_000);
  });

  describe('RabbitMQ quorum', () => {
    let rabbit: Driver;
    beforeAll(async () => {
      await requireBroker('rabbitmq');
      rabbit = await createDriver('rabbitmq', {}, placementOf('rabbitmq'));
    }, 300_000);
    afterAll(async () => {
      await rabbit?.close();
    });

    it('cuts consumer-2 alone: the others keep receiving, its unacked messages come back, nothing lost', async () => {
      const started = Date.now();
      const { result, events } = await runPlanned(
        rabbit,
        {
          setup: 'quorum',
          scenario: 'work-queue',
          workload: pacedWorkload(240, 20, [onConsumer(2, 1000, 2500)], CONSUMERS),
          settings: {},
          isolation: 'inline',
        },
        log,
      );
      const [fault] = result.faultTimeline;
      expect(fault?.target).toMatch(/^toxiproxy:bp-rabbitmq\.quorum\.work-queue\.roles-\d+-c2$/);
      expect(fault?.error).toBeUndefined();
      const during = deliveriesByConsumer(result, events);
      expect(during[2]).toBe(0);
      expect(deliveries(events, 'consumer-2')).toBeGreaterThan(0);
      expect(during[0]).toBeGreaterThan(5);
      expect(during[1]).toBeGreaterThan(5);
      expect(result.counts.lost).toBe(0);
      expect(result.valid).toBe(true);
      expect(await leftoverProxies(placementOf('rabbitmq').endpoint.toxiproxy!.apiUrl)).toEqual([]);
      console.log(
        `rabbitmq quorum, consumer-2 partitioned: deliveries during the cut by consumer ${during.join('/')}; lost ${result.counts.lost}; verdict ${result.valid}; case ${Date.now() - started} ms`,
      );
    }, 120_000);
  });
});
