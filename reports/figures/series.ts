/** Counts per time bucket, kept at 100 ms while recording and widened for long cases. */
import type { ThroughputSeries } from './types.ts';

export const BASE_BUCKET_MS = 100;
/** More buckets than this and the series is widened (200 ms, 500 ms, 1 s, 2 s, …). */
export const MAX_BUCKETS = 600;
const WIDENINGS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

export type SeriesName = 'sendOk' | 'sendInfo' | 'sendFail' | 'deliveries';
export const SERIES_NAMES: readonly SeriesName[] = ['sendOk', 'sendInfo', 'sendFail', 'deliveries'];

export class SeriesCounter {
  private readonly counts: Record<SeriesName, number[]> = {
    sendOk: [],
    sendInfo: [],
    sendFail: [],
    deliveries: [],
  };

  add(name: SeriesName, ms: number): void {
    const k = Math.max(0, Math.floor(ms / BASE_BUCKET_MS));
    const list = this.counts[name];
    while (list.length <= k) list.push(0);
    list[k]!++;
  }

  /** The series over [0, endMs], in the narrowest bucket that keeps at most MAX_BUCKETS. */
  result(endMs: number): ThroughputSeries {
    const base = Math.max(
      1,
      Math.ceil(endMs / BASE_BUCKET_MS),
      ...SERIES_NAMES.map((n) => this.counts[n].length),
    );
    const factor = WIDENINGS.find((w) => Math.ceil(base / w) <= MAX_BUCKETS) ?? Math.ceil(base / MAX_BUCKETS);
    const buckets = Math.ceil(base / factor);
    const widen = (list: number[]) => {
      const out = new Array<number>(buckets).fill(0);
      list.forEach((n, k) => {
        out[Math.floor(k / factor)]! += n;
      });
      return out;
    };
    return {
      bucketMs: BASE_BUCKET_MS * factor,
      startMs: 0,
      sendOk: widen(this.counts.sendOk),
      sendInfo: widen(this.counts.sendInfo),
      sendFail: widen(this.counts.sendFail),
      deliveries: widen(this.counts.deliveries),
    };
  }
}
