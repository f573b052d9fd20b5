/**
 * Network faults aimed at one role: producers and consumers reach each broker through Toxiproxy
 * proxies of their own, so a partition can cut the consumers while producers keep sending, or the
 * other way round. Real brokers, explicit fault plans (no drawing), the runner the CLI uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/events.ts';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import type { FaultPlan } from '../../faults/fault-plan.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';
import type { CaseResult } from '../../runner/case.ts';
import { placementOf, requireBroker } from '../helpers/brokers.ts';
import { okDuring, runPlanned, pacedWorkload as workload } from '../helpers/planned-case.ts';

const partition = (role: FaultPlan['role'], atMs: number, durationMs: number): FaultPlan => ({
  kind: 'partition',
  atMs,
  durationMs,
  role,
  params: {},
});

/** Sends acknowledged while the fault on `target` was in force. */
const okSendsDuring = (result: CaseResult, events: HistoryEvent[], target: string) =>
  okDuring('send', result, events, target);

/** Deliveries while the consumers' link was cut (after 300 ms: what was already on its way). */
const deliveriesDuring = (result: CaseResult, events: HistoryEvent[], target: string) =>
  okDuring('deliver', result, events, target, 300);

describe('role-targeted network faults', () => {
  describe('NATS', () => {
    let core: Driver;
    const settings = { nats: { publishTimeoutMs: 2000 } };
    beforeAll(async () => {
      await requireBroker('nats');
      core = await createDriver('nats', settings, placementOf('nats'));
    }, 300_000);
    afterAll(async () => {
      await core?.close();
      const { toxiproxy } = placementOf('nats').endpoint;
      const proxies = await new ToxiproxyApi(toxiproxy!.apiUrl).proxies();
      for (const name of ['nats', 'nats-producers', 'nats-consumers'])
        expect(proxies[name], `${name} healed`).toMatchObject({ enabled: true, toxics: [] });
    });

    it('core: consumers cut off while producers keep publishing, claimed at-least-once → lost', async () => {
      const { result, events } = await runPlanned(core, {
        setup: 'core',
        scenario: 'work-queue',
        override: { delivery: 'at-least-once' },
        workload: workload(150, 20, [partition('consumers', 600, 1500)]),
        settings,
        // Consumers in worker processes: they must find the consumers' proxy from the descriptor.
        isolation: 'process',
      });
      const [fault] = result.faultTimeline;
      expect(fault).toMatchObject({ fault: 'partition', target: 'toxiproxy:nats-consumers' });
      expect(fault?.error).toBeUndefined();
      expect(okSendsDuring(result, events, 'toxiproxy:nats-consumers')).toBeGreaterThan(20);
      expect(deliveriesDuring(result, events, 'toxiproxy:nats-consumers')).toBe(0);
      expect(result.valid).toBe(false);
      expect(result.counts.lost).toBeGreaterThan(0);
      expect(result.violations).toContain('lost');
      console.log(
        `nats core, consumers partitioned: lost ${result.counts.lost} of ${result.counts.acknowledged} acknowledged`,
      );
    }, 120_000);

    it('jetstream: producers cut off → their sends fail or stay unknown, nothing acknowledged is lost', async () => {
      const { result, events } = await runPlanned(core, {
        setup: 'jetstream',
        scenario: 'work-queue',
        // Longer than the publish timeout (2 s): a publish in flight cannot wait for the heal.
        workload: workload(200, 20, [partition('producers', 500, 4000)]),
        settings,
        isolation: 'inline',
      });
      expect(result.faultTimeline[0]).toMatchObject({ target: 'toxiproxy:nats-producers' });
      expect(okSendsDuring(result, events, 'toxiproxy:nats-producers')).toBeLessThan(5);
      // Publishes in flight get no ack (info) or no connection (fail); the scenario sends them again.
      const unanswered = events.filter((e) => e.f === 'send' && (e.type === 'info' || e.type === 'fail'));
      expect(unanswered.length).toBeGreaterThan(0);
      expect(result.counts.lost).toBe(0);
      expect(result.valid).not.toBe(false);
      console.log(
        `nats jetstream, producers partitioned: ${unanswered.length} sends unanswered, ${result.counts.acknowledged} of ${result.counts.attempted} acknowledged in the end, lost ${result.counts.lost}, verdict ${result.valid}`,
      );
    }, 120_000);
  });

  describe('Kafka', () => {
    let kafka: Driver;
    const settings = { kafka: { sendTimeoutMs: 3000 } };
    beforeAll(async () => {
      await requireBroker('kafka');
      kafka = await createDriver('kafka', settings, placementOf('kafka'));
    }, 300_000);
    afterAll(async () => {
      await kafka?.close();
    });

    it('consumers cut off: producers keep getting acknowledgements meanwhile', async () => {
      const { result, events } = await runPlanned(kafka, {
        setup: 'commit-after-process',
        scenario: 'work-queue',
        workload: workload(150, 30, [partition('consumers', 1000, 2500)]),
        settings,
        isolation: 'inline',
      });
      expect(result.faultTimeline[0]).toMatchObject({ target: 'toxiproxy:kafka-consumers' });
      const during = okSendsDuring(result, events, 'toxiproxy:kafka-consumers');
      expect(during).toBeGreaterThan(30);
      // The consumers really were cut off: no client of theirs got around the consumers' proxy.
      expect(deliveriesDuring(result, events, 'toxiproxy:kafka-consumers')).toBe(0);
      expect(result.counts.lost).toBe(0);
      console.log(
        `kafka, consumers partitioned: ${during} sends acknowledged during the partition; verdict ${result.valid}, lost ${result.counts.lost}`,
      );
    }, 180_000);
  });

  describe('SQS on ElasticMQ', () => {
    let sqs: Driver;
    const settings = { sqs: { implementation: 'elasticmq' as const, visibilityTimeoutSeconds: 2 } };
    beforeAll(async () => {
      await requireBroker('elasticmq');
      sqs = await createDriver('sqs', settings, placementOf('elasticmq'));
    }, 300_000);
    afterAll(async () => {
      await sqs?.close();
    });

    it('consumers cut off: nothing is received meanwhile, producers keep sending (queue URLs rebased per role)', async () => {
      const { result, events } = await runPlanned(sqs, {
        setup: 'standard',
        scenario: 'work-queue',
        workload: workload(120, 30, [partition('consumers', 800, 2000)]),
        settings,
        isolation: 'process',
      });
      const target = 'toxiproxy:elasticmq-consumers';
      expect(result.faultTimeline[0]).toMatchObject({ target });
      expect(okSendsDuring(result, events, target)).toBeGreaterThan(20);
      expect(deliveriesDuring(result, events, target)).toBe(0);
      expect(result.counts.lost).toBe(0);
      console.log(
        `elasticmq, consumers partitioned: ${okSendsDuring(result, events, target)} sends acknowledged during the partition, verdict ${result.valid}, lost ${result.counts.lost}`,
      );
    }, 180_000);
  });
});
