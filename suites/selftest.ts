import { type AnomalyKind, forbiddenAnomalies } from '../core/guarantee.ts';
import type { MemoryAnomaly } from '../drivers/memory/anomalies.ts';
import { MemoryDriver } from '../drivers/memory/memory-driver.ts';
import type { Reporter } from '../reports/reporter.ts';
import type { CaseResult } from '../runner/case.ts';
import { run } from '../runner/run.ts';
import { selectTargets } from '../runner/targets.ts';
import type { WorkloadOptions } from '../scenarios/scenario.ts';

/** One probe: a scenario on the memory broker with one anomaly injected (or none). */
export interface SelftestProbe {
  name: string;
  anomaly: MemoryAnomaly | undefined;
  rate: number;
  setup: string;
  scenario: string;
  faults: string[];
  /**
   * The anomaly kind the checker must report when the broker injected something. When the claim
   * forbids that kind the verdict must also be false; a kind no claim forbids (`duplicatedAfterAck`)
   * only has to be reported.
   */
  expect: AnomalyKind | undefined;
  workload?: Pick<WorkloadOptions, 'minCrashes' | 'crashPoints' | 'loadMs' | 'faultDurationMs'>;
  /**
   * What is injected is a fault that cannot act (a network fault on a broker with no proxy): the
   * case must not say "holds" — it must be "unknown", naming the fault.
   */
  unappliedFault?: boolean;
}

const clean = (scenario: string, setup: string): SelftestProbe => ({
  name: `clean ${scenario}`,
  anomaly: undefined,
  rate: 0,
  setup,
  scenario,
  faults: ['consumer-crash'],
  expect: undefined,
});

/**
 * Each memory-broker anomaly paired with a scenario whose claim forbids what it causes (or, for a
 * kind no claim forbids, one where it is reported), plus every scenario run clean (with consumer
 * crashes) where no violation may appear.
 */
export const SELFTEST_PROBES: readonly SelftestProbe[] = [
  {
    name: 'drop',
    anomaly: 'drop',
    rate: 0.2,
    setup: 'queue',
    scenario: 'work-queue',
    faults: [],
    expect: 'lost',
  },
  {
    name: 'duplicate',
    anomaly: 'duplicate',
    rate: 0.2,
    setup: 'queue',
    scenario: 'at-most-once',
    faults: [],
    expect: 'duplicated',
  },
  {
    name: 'reorder',
    anomaly: 'reorder',
    rate: 0.3,
    setup: 'log',
    scenario: 'ordered',
    faults: [],
    expect: 'reordered',
  },
  // The broker hands out again what it confirmed as acknowledged. The queue requeues inside the ack
  // call, before the consumer (a worker process) has recorded its ack ok, so its history shows an
  // ordinary redelivery of a message whose ack was still in flight: what it proves is the second
  // processing that at-most-once forbids. The log re-reads the record after the commit returned: a
  // delivery after the ack ok, which is duplicatedAfterAck (reported; the duplicate itself is
  // allowed by at-least-once).
  {
    name: 'redeliverAfterAck',
    anomaly: 'redeliverAfterAck',
    rate: 0.2,
    setup: 'queue',
    scenario: 'at-most-once',
    faults: [],
    expect: 'duplicated',
  },
  {
    name: 'redeliverAfterAck (log)',
    anomaly: 'redeliverAfterAck',
    rate: 0.2,
    setup: 'log',
    scenario: 'work-queue',
    faults: [],
    expect: 'duplicatedAfterAck',
  },
  // A producer that retries turns a phantom into an acknowledged duplicate: probe without retries.
  {
    name: 'phantom',
    anomaly: 'phantom',
    rate: 0.2,
    setup: 'queue',
    scenario: 'at-most-once',
    faults: [],
    expect: 'phantom',
  },
  {
    name: 'loseUnackedOnCrash (queue)',
    anomaly: 'loseUnackedOnCrash',
    rate: 1,
    setup: 'queue',
    scenario: 'work-queue',
    faults: ['consumer-crash'],
    expect: 'lost',
    // A message lost after it was processed loses nothing: crash before processing.
    workload: { minCrashes: 1, crashPoints: ['before-process'] },
  },
  {
    name: 'loseUnackedOnCrash (log)',
    anomaly: 'loseUnackedOnCrash',
    rate: 1,
    setup: 'log',
    scenario: 'work-queue',
    faults: ['consumer-crash'],
    expect: 'lost',
    // A message lost after it was processed loses nothing: crash before processing.
    workload: { minCrashes: 1, crashPoints: ['before-process'] },
  },
  // The memory broker has no Toxiproxy proxy: a drawn partition fails to start, so the case did
  // not test what it lists and may not say "holds".
  {
    name: 'fault that never acted',
    anomaly: undefined,
    rate: 0,
    setup: 'queue',
    scenario: 'work-queue',
    faults: ['partition'],
    expect: undefined,
    unappliedFault: true,
    workload: { loadMs: { min: 200, max: 400 }, faultDurationMs: { min: 50, max: 100 } },
  },
  clean('work-queue', 'queue'),
  clean('work-queue', 'log'),
  clean('fan-out', 'queue'),
  clean('fan-out', 'log'),
  clean('ordered', 'log'),
  clean('retry-dlq', 'queue-dlq'),
  clean('idempotent-consumer', 'queue'),
  clean('at-most-once', 'queue'),
  clean('at-most-once', 'auto-ack'),
  clean('exactly-once', 'log-transactions'),
];

export interface SelftestCase {
  probe: string;
  anomaly: string | null;
  expect: string | null;
  id: string;
  /** Anomalies the broker actually injected in this case. */
  injected: number;
  valid: CaseResult['valid'];
  /** The checker said what it had to: the expected kind when injected, a clean verdict otherwise. */
  correct: boolean;
  /** Injected cases: the expected kind was reported. Clean cases: undefined. */
  detected?: boolean;
  counts: Partial<CaseResult['counts']>;
}

export interface SelftestResult {
  detectionRate: number;
  falsePositiveRate: number;
  /** Injected cases in which the broker happened to inject nothing (not counted either way). */
  notExercised: number;
  cases: SelftestCase[];
}

export interface SelftestOptions {
  runs: number;
  seed: number;
  outDir: string;
  messages?: number;
  reporters?: readonly Reporter[];
  signal?: AbortSignal;
  probes?: readonly SelftestProbe[];
}

/** Runs every probe and measures the checker: detection among injected cases, false positives among clean ones. */
export async function selftest(options: SelftestOptions): Promise<SelftestResult> {
  const cases: SelftestCase[] = [];
  let notExercised = 0;
  for (const probe of options.probes ?? SELFTEST_PROBES) {
    if (options.signal?.aborted) break;
    const driver = new MemoryDriver({ anomalies: probe.anomaly ? { [probe.anomaly]: probe.rate } : {} });
    const { targets } = selectTargets(driver, { setups: [probe.setup], scenarios: [probe.scenario] }, {});
    const result = await run({
      targets,
      runs: options.runs,
      seed: options.seed,
      // Injected probes need enough messages for the dice to land, and crashes to happen.
      messages: options.messages ?? (probe.anomaly ? 40 : undefined),
      workload: probe.workload,
      faults: probe.faults,
      outDir: `${options.outDir}/${probe.name.replace(/[^a-zA-Z0-9-]+/g, '-')}`,
      reporters: options.reporters ?? [],
      ...(options.signal && { signal: options.signal }),
      toolVersion: 'selftest',
    });
    for (const c of result.cases) {
      const injected = probe.unappliedFault
        ? (c.coverage?.faults.filter((f) => f.status !== 'fired').length ?? 0)
        : probe.anomaly
          ? Number((c.diagnostics.injected as Record<string, number>)?.[probe.anomaly] ?? 0)
          : 0;
      const nonZero = Object.fromEntries(Object.entries(c.counts).filter(([, n]) => n > 0));
      if ((probe.anomaly || probe.unappliedFault) && injected === 0) {
        notExercised++;
        continue;
      }
      const detected = probe.unappliedFault
        ? c.valid === 'unknown' && c.reasons.some((r) => r.includes('partition'))
        : probe.expect
          ? c.counts[probe.expect] > 0 &&
            (c.valid === false || !forbiddenAnomalies(c.guarantee).includes(probe.expect))
          : undefined;
      cases.push({
        probe: probe.name,
        anomaly: probe.unappliedFault ? 'unappliedFault' : (probe.anomaly ?? null),
        expect: probe.expect ?? null,
        id: c.id,
        injected,
        valid: c.valid,
        correct: detected !== undefined ? detected === true : c.valid === true,
        ...(detected !== undefined && { detected }),
        counts: nonZero,
      });
    }
  }
  const injectedCases = cases.filter((c) => c.anomaly !== null);
  const cleanCases = cases.filter((c) => c.anomaly === null);
  return {
    detectionRate: ratio(injectedCases.filter((c) => c.detected).length, injectedCases.length),
    falsePositiveRate: ratio(cleanCases.filter((c) => c.valid !== true).length, cleanCases.length),
    notExercised,
    cases,
  };
}

const ratio = (n: number, d: number) => (d === 0 ? 0 : n / d);
