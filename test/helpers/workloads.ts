import type { Workload } from '../../scenarios/scenario.ts';

/** A fixed workload for runner and scenario tests (no drawing: each test says exactly what it needs). */
export function fixedWorkload(over: Partial<Workload> = {}): Workload {
  return {
    messages: 60,
    producers: 1,
    consumersPerGroup: 2,
    groups: 1,
    keys: 0,
    partitions: 1,
    poison: [],
    payloadBytes: 16,
    maxProcessingMs: 1,
    transientFailureRate: 0,
    crashes: [],
    sendIntervalMs: 0,
    loadMs: 0,
    faults: [],
    seed: 7,
    ...over,
  };
}
