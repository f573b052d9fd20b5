/**
 * The `power-loss` fault on real brokers: one short case per broker, each on a dedicated instance
 * whose state directory lies on lossyfs (provision/local/dedicated.ts). The consumers' link is cut
 * first, so acknowledged messages wait in the broker when the power goes: a setup that
 * acknowledges before fsync loses them, one that fsyncs first keeps them.
 *
 * Needs root and /dev/fuse (lossyfs); skipped with the reason otherwise.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/events.ts';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver, type DriverSettings } from '../../drivers/index.ts';
import type { FaultPlan } from '../../faults/fault-plan.ts';
import type { PowerLossDetail } from '../../faults/power-loss.ts';
import { lossyFsUnavailableReason } from '../../native/lossyfs.ts';
import type { BrokerName } from '../../provision/endpoints.ts';
import {
  type DedicatedBroker,
  dedicatedLeftovers,
  planDedicated,
  startDedicated,
} from '../../provision/local/dedicated.ts';
import type { CaseResult } from '../../runner/case.ts';
import { pacedWorkload, runPlanned } from '../helpers/planned-case.ts';

const unavailable = lossyFsUnavailableReason();
if (unavailable) console.warn(`power-loss integration tests skipped: ${unavailable}`);

/** Consumers cut off from 200 ms to 2.7 s; the power goes at 1.5 s for 1 s. */
const FAULTS: FaultPlan[] = [
  { kind: 'partition', role: 'consumers', atMs: 200, durationMs: 2500, params: {} },
  { kind: 'power-loss', atMs: 1500, durationMs: 1000, params: {} },
];

describe.skipIf(unavailable)('power-loss', () => {
  let instance: DedicatedBroker | undefined;
  let driver: Driver | undefined;

  afterEach(async () => {
    await driver?.close();
    await instance?.close();
    driver = undefined;
    instance = undefined;
    expect(dedicatedLeftovers()).toEqual([]);
  });

  async function powerLossCase(
    broker: BrokerName,
    driverName: string,
    setup: string,
    settings: DriverSettings,
  ) {
    const probe = await createDriver(driverName, settings, {});
    const chosen = probe.setups.find((s) => s.name === setup)!;
    await probe.close();
    const need = planDedicated(broker, ['power-loss'], [chosen]);
    instance = await startDedicated({ broker, lossy: true, serverEnv: need?.serverEnv ?? {} });
    driver = await createDriver(driverName, settings, { endpoint: instance.endpoint, native: true });
    const { result, events } = await runPlanned(driver, {
      setup,
      scenario: 'work-queue',
      workload: pacedWorkload(200, 10, FAULTS),
      settings,
      isolation: 'inline',
    });
    const started = events.find(
      (e): e is HistoryEvent & { detail: PowerLossDetail } =>
        e.f === 'fault' && e.type === 'ok' && e.action === 'start' && e.fault === 'power-loss',
    );
    expect(started, 'the power-loss fired').toBeDefined();
    const { droppedBytes, files } = started!.detail;
    console.log(
      `${driverName}/${setup} under power-loss: ${droppedBytes} bytes dropped from ${files.length} files; ` +
        `lost ${result.counts.lost} of ${result.counts.acknowledged} acknowledged, valid ${result.valid}`,
    );
    return { result, detail: started!.detail, why: diagnosis(result, events) };
  }

  /** What a failed expectation prints: when each phase and fault was, and when the lost were sent. */
  function diagnosis(result: CaseResult, events: HistoryEvent[]): string {
    const ms = (t: number) => `${Math.round(t / 1000)}ms`;
    const phases = result.phases.map((p) => `${p.phase}@${ms(p.t)}${p.cutOff ? '(cut off)' : ''}`);
    const faults = result.faultTimeline.map(
      (f) =>
        `${f.fault} ${ms(f.startT)}–${f.stopT === undefined ? '?' : ms(f.stopT)}${f.error ? ` (${f.error})` : ''}`,
    );
    const lost = new Set(result.anomalies.filter((a) => a.kind === 'lost').map((a) => a.id));
    const sent = events
      .filter((e) => e.f === 'send' && e.type === 'ok' && lost.has(e.id))
      .map((e) => ms(e.t));
    const delivered = events.filter((e) => e.f === 'deliver').map((e) => e.t);
    return [
      `phases ${phases.join(' ')}`,
      `faults ${faults.join('; ')}`,
      `lost (first ${lost.size}) acknowledged at ${sent.join(' ')}`,
      `deliveries ${delivered.length}, the last at ${ms(Math.max(0, ...delivered))}`,
      // How the drain ended and what the broker last said: a drain that ended early reads as loss.
      `drain ${JSON.stringify(result.diagnostics.drain)}`,
      `last backlog ${JSON.stringify(result.diagnostics.lastBacklog)}`,
      ...result.reasons,
    ].join('\n');
  }

  it('NATS jetstream (fsync every 2 min): acknowledged messages are lost', async () => {
    const { result, detail } = await powerLossCase('nats', 'nats', 'jetstream', {
      nats: { publishTimeoutMs: 2000 },
    });
    expect(detail.droppedBytes).toBeGreaterThan(0);
    expect(detail.files.some((f) => f.path.includes('/msgs/'))).toBe(true);
    expect(result.valid).toBe(false);
    expect(result.counts.lost).toBeGreaterThan(0);
  }, 60_000);

  it('Kafka commit-after-process on one node (acks before fsync): acknowledged records are lost', async () => {
    const { result, detail } = await powerLossCase('kafka', 'kafka', 'commit-after-process', {
      kafka: { sendTimeoutMs: 3000 },
    });
    expect(detail.droppedBytes).toBeGreaterThan(0);
    expect(result.valid).toBe(false);
    expect(result.counts.lost).toBeGreaterThan(0);
  }, 90_000);

  it('RabbitMQ quorum (fsync before confirm): nothing acknowledged is lost', async () => {
    const { result, why } = await powerLossCase('rabbitmq', 'rabbitmq', 'quorum', {});
    expect(result.counts.lost, why).toBe(0);
    expect(result.valid, why).toBe(true);
  }, 90_000);

  it('SQS standard on ElasticMQ (H2 store, no fsync per commit): acknowledged messages are lost', async () => {
    const { result, detail } = await powerLossCase('elasticmq', 'sqs', 'standard', {});
    expect(detail.files.some((f) => f.path.includes('elasticmq-h2'))).toBe(true);
    expect(result.valid).toBe(false);
    expect(result.counts.lost).toBeGreaterThan(0);
  }, 90_000);

  // The setups that claim to survive a power loss, under the same faults: off in CI (each starts a
  // broker of its own), on with BROKERPROOF_POWER_LOSS_ALL=1.
  const all = process.env.BROKERPROOF_POWER_LOSS_ALL === '1';

  it.runIf(all)(
    'NATS jetstream-sync-always (sync_interval: always): nothing acknowledged is lost',
    async () => {
      const { result, why } = await powerLossCase('nats', 'nats', 'jetstream-sync-always', {
        nats: { publishTimeoutMs: 2000 },
      });
      expect(result.counts.lost, why).toBe(0);
      expect(result.valid, why).toBe(true);
    },
    60_000,
  );

  it.runIf(all)(
    'Kafka fsync-each (log.flush.interval.messages=1): nothing acknowledged is lost',
    async () => {
      const { result, why } = await powerLossCase('kafka', 'kafka', 'fsync-each', {
        kafka: { sendTimeoutMs: 3000 },
      });
      expect(result.counts.lost, why).toBe(0);
      expect(result.valid, why).toBe(true);
    },
    90_000,
  );

  it.runIf(all)(
    'RabbitMQ classic durable queue: what a power loss does to it',
    async () => {
      const { result, why } = await powerLossCase('rabbitmq', 'rabbitmq', 'classic', {});
      console.log(why);
      expect(result.counts.acknowledged).toBeGreaterThan(0);
    },
    90_000,
  );
});
