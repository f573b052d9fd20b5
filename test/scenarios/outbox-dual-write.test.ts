import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../../drivers/memory/memory-driver.ts';
import { runCase } from '../../runner/run-case.ts';
import { dualWrite } from '../../scenarios/dual-write/index.ts';
import { outbox } from '../../scenarios/outbox/index.ts';
import type { Scenario } from '../../scenarios/scenario.ts';
import { fixedWorkload, scenarioPlan, tempDir } from './case-plans.ts';

/** Three producer crashes, a second apart, while 300 messages are paced over five seconds. */
const producerCrashes = [500, 1800, 3100].map((atMs) => ({
  kind: 'producer-crash' as const,
  atMs,
  durationMs: 400,
  params: { producer: 0 },
}));

async function caseOf(scenario: Scenario, variant = '') {
  const driver = new MemoryDriver({});
  const workload = fixedWorkload({
    messages: 300,
    producers: 1,
    faults: producerCrashes,
    loadMs: 5_000,
    sendIntervalMs: 5_000 / 300,
  });
  const plan = { ...scenarioPlan(driver, 'queue', scenario, variant, workload), faults: ['producer-crash'] };
  const result = await runCase(plan, driver, {
    outDir: tempDir('brokerproof-orders-'),
    store: { kind: 'memory' },
  });
  await driver.close();
  return result;
}

describe('outbox and dual write on the memory broker and store', () => {
  it('outbox: every committed order is delivered through producer crashes at each crash point', async () => {
    const r = await caseOf(outbox);
    expect(r.crashes.filter((c) => c.target === 'producer-0').map((c) => c.point)).toEqual(
      outbox.producing.crashPoints,
    );
    expect(r.reasons).toEqual([]);
    expect(r.counts.lost + r.counts.phantom).toBe(0);
    expect(r.valid).toBe(true);
  }, 30_000);

  it('dual write, commit then publish: a crash between the two is caught as lost', async () => {
    const r = await caseOf(dualWrite, 'commit-then-publish');
    expect(r.crashes.map((c) => c.point)).toContain('after-commit');
    expect(r.counts.lost).toBeGreaterThan(0);
    expect(r.counts.phantom).toBe(0);
    expect(r.valid).toBe(false);
  }, 30_000);

  it('dual write, publish then commit: a crash between the two is caught as phantom', async () => {
    const r = await caseOf(dualWrite, 'publish-then-commit');
    expect(r.crashes.map((c) => c.point)).toContain('after-publish');
    expect(r.counts.phantom).toBeGreaterThan(0);
    expect(r.valid).toBe(false);
  }, 30_000);
});
