/**
 * The comparison of several runs (pure): a matrix of setups × (scenario, fault set) with each
 * cell's verdict, per-setup load, latency and recovery, and what each setup claims on whose word.
 * compare.json is this model; the HTML and Markdown pages render it.
 */
import { describeClaim } from '../../core/guarantee.ts';
import type { CaseResult } from '../../runner/case.ts';
import type { RunResult } from '../../runner/run-result.ts';
import { histogramPercentile, mergeHistograms } from '../figures/latency.ts';
import { figuresOf } from '../figures/read.ts';
import { anchorFor, relativeHref } from '../html-markup.ts';

export const COMPARE_VERSION = 1;

/** A run to compare: its results (with figures) and its report directory relative to the compare page. */
export interface ComparedRun {
  /** The directory as given. */
  dir: string;
  /** The report directory relative to the compare output directory (for links). */
  href: string;
  result: RunResult;
}

export type CellVerdict = 'held' | 'violated' | 'unknown' | 'not-applicable';

export interface CellCase {
  id: string;
  valid: boolean | 'unknown';
  /** Link from the compare page to the case's evidence in its report. */
  href: string;
}

export interface MatrixCell {
  verdict: CellVerdict;
  /** violated: the anomaly that decided it (the forbidden kind with most messages) and its count. */
  anomaly?: { kind: string; count: number } | undefined;
  /** unknown: why (the first reason). */
  reason?: string | undefined;
  cases: CellCase[];
}

export interface SetupStats {
  cases: number;
  /** Successful sends per second over the load phases. */
  sendsPerSecond: number | null;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; count: number };
  recovery: {
    faults: number;
    /** Heal → first successful send / delivery, median and worst; `never`: faults with none after. */
    sendOkMs: { median: number | null; max: number | null; never: number };
    deliveryMs: { median: number | null; max: number | null; never: number };
    longestNoSendMs: number;
    longestNoDeliveryMs: number;
  };
}

export interface SetupRow {
  key: string;
  driver: string;
  setup: string;
  claimBasis: 'configuration' | 'vendor';
  vendorClaim?: string | undefined;
  description?: string | undefined;
  /** The claims checked on this setup (scenarios refine the setup's claim), each with its scenarios. */
  claims: { claim: string; scenarios: string[] }[];
  cells: Record<string, MatrixCell>;
  stats: SetupStats;
}

export interface Column {
  key: string;
  scenario: string;
  faults: string;
}

export interface NotRun {
  driver: string;
  setup: string;
  scenario: string;
  faults: string;
  reason: string;
}

export interface CompareModel {
  version: number;
  generatedAt: string;
  runs: { dir: string; valid: boolean | 'unknown'; cases: number; startedAt: string; seed: number }[];
  columns: Column[];
  /** Rows grouped by driver, in the order drivers first appear. */
  setups: SetupRow[];
  notRun: NotRun[];
  totals: { held: number; violated: number; unknown: number; notApplicable: number };
}

const FAULT_ORDER = ['none', 'consumer-crash', 'partition', 'broker-kill'];

export const faultSetOf = (c: Pick<CaseResult, 'faults'>) => (c.faults.length ? c.faults.join('+') : 'none');
export const scenarioOf = (c: Pick<CaseResult, 'scenario' | 'variant'>) =>
  c.variant ? `${c.scenario}+${c.variant}` : c.scenario;

function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function cellOf(cases: readonly { c: CaseResult; href: string }[]): MatrixCell {
  const list = cases.map(({ c, href }) => ({ id: c.id, valid: c.valid, href }));
  const violated = cases.filter(({ c }) => c.valid === false);
  if (violated.length) {
    const totals = new Map<string, number>();
    for (const { c } of violated)
      for (const kind of c.violations) totals.set(kind, (totals.get(kind) ?? 0) + (c.counts[kind] ?? 0));
    const [kind, count] = [...totals].sort((a, b) => b[1] - a[1])[0] ?? ['error', 0];
    return { verdict: 'violated', anomaly: { kind, count }, cases: list };
  }
  const unknown = cases.find(({ c }) => c.valid === 'unknown');
  if (unknown) {
    const reason = unknown.c.reasons[0] ?? unknown.c.error ?? 'no reason recorded';
    return { verdict: 'unknown', reason, cases: list };
  }
  return { verdict: 'held', cases: list };
}

function statsOf(cases: readonly CaseResult[]): SetupStats {
  let sent = 0;
  let loadMs = 0;
  const histograms: Record<string, number>[] = [];
  const sendOk: number[] = [];
  const delivery: number[] = [];
  let faults = 0;
  let neverSend = 0;
  let neverDelivery = 0;
  let longestNoSendMs = 0;
  let longestNoDeliveryMs = 0;
  for (const c of cases) {
    const f = figuresOf(c);
    if (!f) continue;
    if (f.load && f.load.toMs > f.load.fromMs) {
      sent += f.totals.sendOk;
      loadMs += f.load.toMs - f.load.fromMs;
    }
    histograms.push(f.latency.histogram);
    for (const r of f.faults) {
      if (r.healedAtMs === null) continue;
      faults++;
      if (r.firstSendOkAfterMs === null) neverSend++;
      else sendOk.push(r.firstSendOkAfterMs);
      if (r.firstDeliveryAfterMs === null) neverDelivery++;
      else delivery.push(r.firstDeliveryAfterMs);
    }
    longestNoSendMs = Math.max(longestNoSendMs, f.unavailability.longestSendGapMs);
    longestNoDeliveryMs = Math.max(longestNoDeliveryMs, f.unavailability.longestDeliveryGapMs);
  }
  const merged = mergeHistograms(histograms);
  const count = Object.values(merged).reduce((s, n) => s + n, 0);
  return {
    cases: cases.length,
    sendsPerSecond: loadMs > 0 ? Math.round((sent / loadMs) * 1000) : null,
    latencyMs: {
      p50: histogramPercentile(merged, 0.5),
      p95: histogramPercentile(merged, 0.95),
      p99: histogramPercentile(merged, 0.99),
      count,
    },
    recovery: {
      faults,
      sendOkMs: { median: median(sendOk), max: sendOk.length ? Math.max(...sendOk) : null, never: neverSend },
      deliveryMs: {
        median: median(delivery),
        max: delivery.length ? Math.max(...delivery) : null,
        never: neverDelivery,
      },
      longestNoSendMs,
      longestNoDeliveryMs,
    },
  };
}

const byFaultOrder = (a: string, b: string) => {
  const rank = (f: string) => (FAULT_ORDER.includes(f) ? FAULT_ORDER.indexOf(f) : FAULT_ORDER.length);
  return rank(a) - rank(b) || a.localeCompare(b);
};

export function buildCompare(runs: readonly ComparedRun[], notRun: readonly NotRun[] = []): CompareModel {
  const scenarios: string[] = [];
  const faultSets = new Set<string>();
  const rows = new Map<string, { cases: { c: CaseResult; href: string }[] }>();
  for (const run of runs) {
    for (const c of run.result.cases) {
      const scenario = scenarioOf(c);
      if (!scenarios.includes(scenario)) scenarios.push(scenario);
      faultSets.add(faultSetOf(c));
      const key = `${c.driver}/${c.setup}`;
      const row = rows.get(key) ?? { cases: [] };
      row.cases.push({ c, href: `${run.href}/index.html#${anchorFor(c.id)}` });
      rows.set(key, row);
    }
  }
  const columns: Column[] = [];
  for (const scenario of scenarios)
    for (const faults of [...faultSets].sort(byFaultOrder))
      columns.push({ key: `${scenario} × ${faults}`, scenario, faults });
  const driverOrder: string[] = [];
  const setups: SetupRow[] = [...rows].map(([key, row]) => {
    const first = row.cases[0]!.c;
    if (!driverOrder.includes(first.driver)) driverOrder.push(first.driver);
    const cells: Record<string, MatrixCell> = {};
    for (const column of columns) {
      const inCell = row.cases.filter(
        ({ c }) => scenarioOf(c) === column.scenario && faultSetOf(c) === column.faults,
      );
      cells[column.key] = inCell.length ? cellOf(inCell) : { verdict: 'not-applicable', cases: [] };
    }
    const claims = new Map<string, string[]>();
    for (const { c } of row.cases) {
      const claim = describeClaim(c.guarantee);
      const list = claims.get(claim) ?? [];
      if (!list.includes(scenarioOf(c))) list.push(scenarioOf(c));
      claims.set(claim, list);
    }
    const vendor = row.cases.find(({ c }) => c.claimBasis === 'vendor')?.c;
    return {
      key,
      driver: first.driver,
      setup: first.setup,
      claimBasis: vendor ? 'vendor' : 'configuration',
      vendorClaim: vendor?.vendorClaim,
      description: first.setupDescription,
      claims: [...claims].map(([claim, scenarios]) => ({ claim, scenarios })),
      cells,
      stats: statsOf(row.cases.map(({ c }) => c)),
    };
  });
  setups.sort((a, b) => driverOrder.indexOf(a.driver) - driverOrder.indexOf(b.driver));
  const skipped: NotRun[] = runs.flatMap((run) =>
    run.result.skipped.map((s) => ({
      ...s,
      faults: run.result.faults.length ? run.result.faults.join('+') : 'none',
    })),
  );
  const kept = columns.filter((col) => setups.some((s) => s.cells[col.key]!.verdict !== 'not-applicable'));
  const totals = { held: 0, violated: 0, unknown: 0, notApplicable: 0 };
  for (const setup of setups) {
    for (const col of columns) {
      const verdict = setup.cells[col.key]!.verdict;
      if (!kept.includes(col)) delete setup.cells[col.key];
      else if (verdict === 'not-applicable') totals.notApplicable++;
      else totals[verdict]++;
    }
  }
  return {
    version: COMPARE_VERSION,
    generatedAt: new Date().toISOString(),
    runs: runs.map((r) => ({
      dir: r.dir,
      valid: r.result.valid,
      cases: r.result.cases.length,
      startedAt: r.result.startedAt,
      seed: r.result.seed,
    })),
    columns: kept,
    setups,
    notRun: [...notRun, ...skipped],
    totals,
  };
}

/** The href of a report directory as seen from the compare output directory. */
export function reportHref(relativePath: string): string {
  return relativeHref(relativePath);
}
