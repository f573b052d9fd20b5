/**
 * Soak cases (`run --soak <minutes>`): one long paced load with faults drawn throughout, so that a
 * case meets what short cases never do — a broker's page-out, segment rolls, rebalances under load,
 * and a fault arriving while the last one's recovery is still going on.
 */
import type { ExploreOptions } from './explore.ts';

/** About one scheduled fault per this much load (at least half as many are planned). */
export const SOAK_FAULT_EVERY_MS = 20_000;
/** Messages per second of load when the run does not say how many (`--messages`). */
export const SOAK_MESSAGES_PER_SECOND = 50;
/** The longest soak a run accepts: a day. */
export const SOAK_MAX_MINUTES = 24 * 60;

export interface Soak {
  workload: NonNullable<ExploreOptions['workload']>;
  /** Messages per case when the run leaves it to the soak. */
  messages: number;
}

export function soakWorkload(minutes: number): Soak {
  const loadMs = Math.round(minutes * 60_000);
  const faults = Math.max(1, Math.ceil(loadMs / SOAK_FAULT_EVERY_MS));
  return {
    workload: {
      loadMs: { min: loadMs, max: loadMs },
      maxFaults: faults,
      minFaults: Math.max(1, Math.ceil(faults / 2)),
      paced: true,
    },
    messages: Math.max(1, Math.round((loadMs / 1000) * SOAK_MESSAGES_PER_SECOND)),
  };
}
