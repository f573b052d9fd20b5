/**
 * Figures a report shows for one case, computed from its history (reports/figures/pass.ts): load
 * over time, end-to-end latency, and for faulty runs recovery times and unavailability windows.
 * Times are milliseconds since the case started. They describe; they never decide validity.
 */

export const FIGURES_VERSION = 1;

/** Counts per time bucket: `sendOk[k]` completed in [startMs + k·bucketMs, startMs + (k+1)·bucketMs). */
export interface ThroughputSeries {
  bucketMs: number;
  startMs: number;
  sendOk: number[];
  sendInfo: number[];
  sendFail: number[];
  deliveries: number[];
}

/** Send invoke → first `process` of the message (any group), in ms. */
export interface LatencyFigures {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /**
   * A log histogram that merges across cases: key k counts latencies in (1.1^(k-1), 1.1^k] µs.
   * Percentiles of merged histograms are exact to 10 %.
   */
  histogram: Record<string, number>;
  /** At most SAMPLE_LIMIT points [send invoke ms, latency ms]: an even sample plus the slowest. */
  samples: [number, number][];
}

/** A fault as the history shows it: network/broker faults span start→heal; a crash is an instant. */
export interface FaultRecovery {
  kind: 'fault' | 'crash';
  /** e.g. `partition on consumers`, `crash consumer-1 (after-process)`. */
  label: string;
  startMs: number;
  /** When the fault was healed (its `stop` `ok`; a crash heals at once); null: never healed in the history. */
  healedAtMs: number | null;
  /** From the heal to the first successful send completion after it; null: none came. */
  firstSendOkAfterMs: number | null;
  /** From the heal to the first delivery after it; null: none came. */
  firstDeliveryAfterMs: number | null;
}

/** A span with no successful send (or no delivery) while something was waiting for one. */
export interface UnavailabilityWindow {
  fromMs: number;
  toMs: number;
  durationMs: number;
  /** The history ended inside the window: it never closed. */
  open: boolean;
}

export interface Unavailability {
  /** A gap counts when it is at least this long (200 ms, or ten median gaps if longer). */
  thresholdMs: { sends: number; deliveries: number };
  sends: UnavailabilityWindow[];
  deliveries: UnavailabilityWindow[];
  longestSendGapMs: number;
  longestDeliveryGapMs: number;
}

export interface CaseFigures {
  version: number;
  /** Time of the last event. */
  endMs: number;
  /** The load phase, when recorded (throughput is judged over it). */
  load?: { fromMs: number; toMs: number } | undefined;
  totals: { sendOk: number; sendInfo: number; sendFail: number; deliveries: number; processed: number };
  throughput: ThroughputSeries;
  latency: LatencyFigures;
  faults: FaultRecovery[];
  unavailability: Unavailability;
}
