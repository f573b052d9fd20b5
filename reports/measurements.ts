/**
 * A case's `measurements` (what scenario checker families measured beside their anomalies) as
 * format-neutral tables, for the HTML and Markdown reports. Known keys get their own table; any
 * other key, or a known key of an unexpected shape, is shown as key/value pairs.
 */

export interface MeasurementTable {
  key: string;
  title: string;
  headers: string[];
  rows: string[][];
  /** staleReads: the distribution to chart, with the claimed bound. */
  lag?: { p50: number; p95: number; p99: number; max: number; bound?: number | undefined };
}

type Lag = { count: number; p50: number; p95: number; p99: number; max: number };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isLag = (v: unknown): v is Lag =>
  isRecord(v) && ['count', 'p50', 'p95', 'p99', 'max'].every((k) => isNumber(v[k]));

export function showValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '–';
  if (value === null) return 'none';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const msText = (v: number) => `${v} ms`;

function staleReads(value: unknown): MeasurementTable | undefined {
  if (!isRecord(value) || !isNumber(value.queries) || !isLag(value.lagMs)) return undefined;
  const lagRow = (name: string, queries: unknown, lag: Lag) => [
    name,
    showValue(queries),
    String(lag.count),
    msText(lag.p50),
    msText(lag.p95),
    msText(lag.p99),
    msText(lag.max),
  ];
  const rows = [lagRow('all projections', value.queries, value.lagMs)];
  if (isRecord(value.groups)) {
    for (const [group, g] of Object.entries(value.groups)) {
      if (isRecord(g) && isLag(g.lagMs)) rows.push(lagRow(group, g.queries, g.lagMs));
    }
  }
  const bound = isNumber(value.maxStalenessMs) ? value.maxStalenessMs : undefined;
  const overBound = isNumber(value.overBound) ? value.overBound : 0;
  return {
    key: 'staleReads',
    title: `Stale reads${bound === undefined ? ' (no staleness bound claimed)' : ` (bound ${bound} ms claimed: ${overBound} over it)`}`,
    headers: ['projection', 'queries', 'stale reads', 'lag p50', 'lag p95', 'lag p99', 'lag max'],
    rows,
    lag: { ...value.lagMs, bound },
  };
}

function appends(value: unknown): MeasurementTable | undefined {
  const expected = ['streams', 'accepted', 'conflicts', 'unknown', 'forks'];
  if (!isRecord(value) || !expected.every((k) => isNumber(value[k]))) return undefined;
  const keys = Object.keys(value);
  return {
    key: 'appends',
    title: 'Appends to the event store',
    headers: keys,
    rows: [keys.map((k) => showValue(value[k]))],
  };
}

/** Columns of convergence rows: the known ones in order, then whatever else they carry. */
const CONVERGENCE_ORDER = ['fault', 'target', 'healedAtMs', 'behind', 'convergedAfterMs'];
const CONVERGENCE_HEADERS: Record<string, string> = {
  healedAtMs: 'healed at',
  convergedAfterMs: 'converged after',
  behind: 'events behind',
};

function convergence(value: unknown): MeasurementTable | undefined {
  if (!Array.isArray(value) || !value.every((v) => isRecord(v) && typeof v.fault === 'string'))
    return undefined;
  const rows = value as Record<string, unknown>[];
  const seen = new Set(rows.flatMap((r) => Object.keys(r)));
  const columns = [
    ...CONVERGENCE_ORDER.filter((k) => seen.has(k) || k === 'convergedAfterMs'),
    ...[...seen].filter((k) => !CONVERGENCE_ORDER.includes(k)),
  ];
  const show = (key: string, v: unknown) => {
    if (key === 'convergedAfterMs') return isNumber(v) ? msText(v) : 'never (in the history)';
    if (key === 'healedAtMs') return isNumber(v) ? msText(v) : '–';
    return showValue(v);
  };
  return {
    key: 'convergence',
    title: 'Read-model convergence after faults',
    headers: columns.map((k) => CONVERGENCE_HEADERS[k] ?? k),
    rows: rows.map((r) => columns.map((k) => show(k, r[k]))),
  };
}

const KNOWN: Record<string, (value: unknown) => MeasurementTable | undefined> = {
  staleReads,
  appends,
  convergence,
};

/** Tables for every measurement key, known ones first, in a stable order. */
export function measurementTables(measurements: Record<string, unknown> | undefined): MeasurementTable[] {
  if (!measurements) return [];
  const tables: MeasurementTable[] = [];
  const generic: string[][] = [];
  for (const [key, value] of Object.entries(measurements)) {
    const table = KNOWN[key]?.(value);
    if (table) tables.push(table);
    else if (isRecord(value))
      for (const [k, v] of Object.entries(value)) generic.push([`${key}.${k}`, showValue(v)]);
    else generic.push([key, showValue(value)]);
  }
  if (generic.length)
    tables.push({
      key: 'other',
      title: 'Other measurements',
      headers: ['measurement', 'value'],
      rows: generic,
    });
  return tables;
}
