import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from '../../drivers/driver.ts';
import type { CasePlan } from '../../runner/case.ts';
import type { Scenario, Workload } from '../../scenarios/scenario.ts';

/** A fixed workload for scenario tests (no drawing: each test says exactly what it needs). */
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

export function scenarioPlan(
  driver: Driver,
  setupName: string,
  scenario: Scenario,
  variant: string,
  workload: Workload,
  options: { store?: 'memory' | 'postgres'; delivery?: CasePlan['claim']['delivery'] } = {},
): CasePlan {
  const setup = driver.setups.find((s) => s.name === setupName)!;
  const claim = scenario.claim(setup, variant);
  return {
    id: `${scenario.name}-${variant || 'plain'}-${Math.random().toString(36).slice(2, 8)}`,
    driver: driver.name,
    setup,
    scenario,
    variant,
    store: scenario.store ? (options.store ?? 'memory') : undefined,
    claim: options.delivery ? { ...claim, delivery: options.delivery } : claim,
    workload,
    faults: workload.crashes.length ? ['consumer-crash'] : [],
    seed: 1,
    path: '0',
  };
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
