import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from '../../drivers/driver.ts';
import type { CasePlan } from '../../runner/case.ts';
import type { Scenario, Workload } from '../../scenarios/scenario.ts';

export { fixedWorkload } from '../helpers/workloads.ts';

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
