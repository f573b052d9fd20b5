/** How stale reads of read models were: a distribution of lags, in milliseconds. */
export interface LagDistribution {
  /** Stale reads measured. */
  count: number;
  /** Nearest-rank percentiles and the maximum of their lags, in ms (all 0 when `count` is 0). */
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** The `staleReads` measurement of the projection family, overall and per projection. */
export interface StaleReadMeasurement {
  /** Query answers judged (those whose invocation is in the history). */
  queries: number;
  lagMs: LagDistribution;
  /** The claimed bound, when one is claimed. */
  maxStalenessMs?: number;
  /** Stale reads whose lag exceeded the claimed bound (0 without one). */
  overBound: number;
  groups: Record<string, { queries: number; lagMs: LagDistribution }>;
}

/** The nearest-rank distribution of `lags` (ms). */
export function lagDistribution(lags: readonly number[]): LagDistribution {
  if (lags.length === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...lags].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1]!;
  return { count: sorted.length, p50: rank(0.5), p95: rank(0.95), p99: rank(0.99), max: sorted.at(-1)! };
}

/** The index of the first element of a non-decreasing `values` greater than `v`, or -1. */
export function firstAbove(values: readonly number[], v: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! > v) hi = mid;
    else lo = mid + 1;
  }
  return lo < values.length ? lo : -1;
}
