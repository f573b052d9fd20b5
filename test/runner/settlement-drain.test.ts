/**
 * The drain on a broker that cannot count what is outstanding (Pub/Sub's case, here the memory
 * broker made blind: its backlog always 0, a long settle): the history's settlement ends an
 * at-least-once case as soon as everything is processed; without it the drain needs the long
 * quiet; a message that never comes holds the drain to its deadline and is then judged lost.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Claim } from '../../core/guarantee.ts';
import type { Driver, DriverCapabilities } from '../../drivers/driver.ts';
import type { MemoryDriverOptions } from '../../drivers/memory/memory-driver.ts';
import type { CasePlan } from '../../runner/case.ts';
import { runCase } from '../../runner/run-case.ts';
import { findScenario } from '../../scenarios/catalogue.ts';
import type { Workload } from '../../scenarios/scenario.ts';
import { memoryWith } from '../helpers/memory-with.ts';
import { fixedWorkload } from '../helpers/workloads.ts';

function blindDriver(capabilities: Partial<DriverCapabilities>, options: MemoryDriverOptions = {}): Driver {
  return memoryWith(() => ({ backlog: async () => 0 }), {
    driver: options,
    capabilities: { drainSettleMs: 30_000, settlesByHistory: true, ...capabilities },
  });
}

const crashing = (over: Partial<Workload> = {}): Workload =>
  fixedWorkload({
    messages: 80,
    seed: 3,
    crashes: [{ group: 0, atDelivery: 20, point: 'after-process' }],
    ...over,
  });

function plan(driver: Driver, claim: Claim, w: Workload): CasePlan {
  return {
    id: `settle-${Math.random().toString(36).slice(2)}`,
    driver: driver.name,
    setup: driver.setups.find((s) => s.name === 'queue')!,
    scenario: findScenario('work-queue')!,
    claim,
    workload: w,
    faults: ['consumer-crash'],
    seed: 3,
    path: '0',
  };
}

const outDir = () => mkdtempSync(join(tmpdir(), 'bp-settle-'));
const atLeastOnce: Claim = { delivery: 'at-least-once', ordering: 'none' };

const drainMsOf = (result: Awaited<ReturnType<typeof runCase>>) => {
  const at = (name: string) => result.phases.find((p) => p.phase === name)!.t;
  return (at('check') - at('drain')) / 1000;
};

describe('a drain the history settles', () => {
  it('ends an at-least-once case once everything is processed, far inside the 30 s settle', async () => {
    const driver = blindDriver({});
    const result = await runCase(plan(driver, atLeastOnce, crashing()), driver, {
      outDir: outDir(),
      isolation: 'inline',
      timeouts: { drainMs: 60_000 },
    });
    expect(result.valid).toBe(true);
    expect(result.crashes).toHaveLength(1);
    expect(result.phases.some((p) => p.cutOff)).toBe(false);
    expect(drainMsOf(result)).toBeLessThan(8_000);
  }, 30_000);

  it('an exactly-once claim keeps the long quiet even when settled (a late duplicate is its anomaly): cut off, unknown', async () => {
    const driver = blindDriver({});
    const result = await runCase(
      plan(driver, { delivery: 'exactly-once', ordering: 'none' }, crashing()),
      driver,
      { outDir: outDir(), isolation: 'inline', timeouts: { drainMs: 3_000 } },
    );
    expect(result.phases.some((p) => p.cutOff)).toBe(true);
    expect(result.valid).not.toBe(true);
    expect(result.reasons.join(' ')).toMatch(/drain was cut off/);
  }, 30_000);

  it('a message that never comes holds the drain to its deadline, and is then judged lost', async () => {
    const driver = blindDriver({ drainSettleMs: 1_000 }, { anomalies: { drop: 0.2 } });
    const result = await runCase(plan(driver, atLeastOnce, crashing({ crashes: [] })), driver, {
      outDir: outDir(),
      isolation: 'inline',
      timeouts: { drainMs: 3_000 },
    });
    expect(result.phases.some((p) => p.cutOff)).toBe(false);
    expect(drainMsOf(result)).toBeGreaterThanOrEqual(3);
    expect(result.valid).toBe(false);
    expect(result.counts.lost).toBeGreaterThan(0);
  }, 30_000);

  it('raises a drain deadline shorter than the driver needs, and says so', async () => {
    const driver = blindDriver({ minDrainMs: 4_000 });
    const lines: string[] = [];
    const result = await runCase(plan(driver, atLeastOnce, crashing()), driver, {
      outDir: outDir(),
      isolation: 'inline',
      timeouts: { drainMs: 500 },
      log: (line) => lines.push(line),
    });
    expect(lines.join('\n')).toMatch(/drain deadline raised from 0.5 s to 4 s/);
    expect(result.valid).toBe(true);
  }, 30_000);
});
