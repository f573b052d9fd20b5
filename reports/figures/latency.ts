/** End-to-end latency statistics: exact nearest-rank percentiles, a mergeable log histogram, a sample. */
import type { LatencyFigures } from './types.ts';

export const SAMPLE_LIMIT = 500;
/** The slowest points always kept in the sample, so outliers stay visible. */
const SLOWEST_KEPT = 25;
const LOG_BASE = Math.log(1.1);

/** Nearest-rank percentile of ascending `sorted` (p in (0, 1]). */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1]!;
}

/** The histogram bucket of a latency in ms: k with latency µs in (1.1^(k-1), 1.1^k]. */
export function histogramBucket(ms: number): number {
  const micros = Math.max(1, ms * 1000);
  return Math.ceil(Math.log(micros) / LOG_BASE - 1e-9);
}

/** Upper bound (ms) of a histogram bucket. */
export const bucketUpperMs = (k: number) => 1.1 ** k / 1000;

/**
 * Latency figures from parallel arrays: `at[n]` the send invoke (ms), `latency[n]` the time to its
 * first process (ms).
 */
export function latencyFigures(at: readonly number[], latency: readonly number[]): LatencyFigures {
  const count = latency.length;
  const histogram: Record<string, number> = {};
  for (const ms of latency) {
    const k = String(histogramBucket(ms));
    histogram[k] = (histogram[k] ?? 0) + 1;
  }
  if (count === 0) return { count, p50: null, p95: null, p99: null, max: null, histogram, samples: [] };
  const sorted = Float64Array.from(latency).sort();
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    count,
    p50: round(nearestRank(sorted, 0.5)),
    p95: round(nearestRank(sorted, 0.95)),
    p99: round(nearestRank(sorted, 0.99)),
    max: round(sorted[count - 1]!),
    histogram,
    samples: sampleIndices(latency, sorted).map((n) => [round(at[n]!), round(latency[n]!)]),
  };
}

/** Indices of an even sample plus the slowest points, in time order, at most SAMPLE_LIMIT. */
function sampleIndices(latency: readonly number[], sorted: Float64Array): number[] {
  const n = latency.length;
  if (n <= SAMPLE_LIMIT) return latency.map((_, k) => k);
  const keep = new Set<number>();
  for (const k of slowestIndices(latency, sorted)) keep.add(k);
  const stride = n / (SAMPLE_LIMIT - SLOWEST_KEPT);
  for (let x = 0; keep.size < SAMPLE_LIMIT && x < n; x += stride) keep.add(Math.floor(x));
  return [...keep].sort((a, b) => a - b);
}

/**
 * The SLOWEST_KEPT largest latencies (ties: the earlier first), from the ascending copy rather
 * than by sorting a pair per point (10^6 pairs at a million messages).
 */
function slowestIndices(latency: readonly number[], sorted: Float64Array): number[] {
  const threshold = sorted[sorted.length - SLOWEST_KEPT]!;
  let above = 0;
  for (let k = sorted.length - 1; k >= 0 && sorted[k]! > threshold; k--) above++;
  let ties = SLOWEST_KEPT - above;
  const out: number[] = [];
  for (let k = 0; k < latency.length; k++) {
    const ms = latency[k]!;
    if (ms > threshold || (ms === threshold && ties-- > 0)) out.push(k);
  }
  return out;
}

/** Adds histograms (merging latency of several cases). */
export function mergeHistograms(histograms: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of histograms) for (const [k, n] of Object.entries(h)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** Percentile (ms) of a histogram: the upper bound of the bucket holding the nearest rank; null if empty. */
export function histogramPercentile(histogram: Record<string, number>, p: number): number | null {
  const buckets = Object.entries(histogram)
    .map(([k, n]) => [Number(k), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const rank = Math.min(total, Math.max(1, Math.ceil(p * total)));
  let seen = 0;
  for (const [k, n] of buckets) {
    seen += n;
    if (seen >= rank) return Math.round(bucketUpperMs(k) * 1000) / 1000;
  }
  return null;
}
