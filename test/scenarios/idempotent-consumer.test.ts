import { describe, expect, it } from 'vitest';
import { readHistory } from '../../core/history-reader.ts';
import { MemoryDriver } from '../../drivers/memory/memory-driver.ts';
import { runCase } from '../../runner/run-case.ts';
import { idempotentConsumer } from '../../scenarios/idempotent-consumer/index.ts';
import { fixedWorkload, scenarioPlan, tempDir } from './case-plans.ts';

/** Crashes at every point of the scenario, spread over the first deliveries. */
const crashes = idempotentConsumer.crashPoints.map((point, k) => ({
  group: 0,
  atDelivery: 4 + 6 * k,
  point,
}));

async function caseOf(variant: string, delivery?: 'effectively-once', planned = crashes) {
  const driver = new MemoryDriver({});
  const workload = fixedWorkload({ crashes: planned, messages: 150 });
  const plan = scenarioPlan(driver, 'queue', idempotentConsumer, variant, workload, { delivery });
  const outDir = tempDir('brokerproof-idem-');
  const result = await runCase(plan, driver, { outDir, store: { kind: 'memory' } });
  await driver.close();
  const history = await readHistory(`${outDir}/${result.history}`);
  return { result, history };
}

describe('idempotent-consumer on the memory broker and store', () => {
  it('dedupe-in-transaction: every crash point fires, the ledger holds each credit once', async () => {
    const { result, history } = await caseOf('dedupe-in-transaction');
    expect(result.guarantee.delivery).toBe('effectively-once');
    expect(result.crashes.map((c) => c.point).sort()).toEqual([...idempotentConsumer.crashPoints].sort());
    expect(result.counts.effectDuplicated).toBe(0);
    expect(result.counts.effectMissing).toBe(0);
    expect(result.valid).toBe(true);
    // The read-back is in the history: one marker, then one state event per credited transaction.
    const states = history.events.filter((e) => e.f === 'state');
    expect(states.filter((e) => e.id !== undefined)).toHaveLength(150);
    expect(states.every((e) => e.id === undefined || e.effects === 1)).toBe(true);
    // Redeliveries happened (the crashes), and the consumer saw some as already applied or not at all.
    expect(result.counts.redelivered).toBeGreaterThan(0);
  });

  it('check-then-act claimed effectively-once is caught crediting twice (from the read-back)', async () => {
    const { result, history } = await caseOf('check-then-act', 'effectively-once');
    expect(result.valid).toBe(false);
    expect(result.violations).toContain('effectDuplicated');
    const doubled = history.events.filter(
      (e) => e.f === 'state' && typeof e.effects === 'number' && e.effects > 1 && e.id,
    );
    expect(result.counts.effectDuplicated).toBe(doubled.length);
    expect(result.anomalies.find((a) => a.kind === 'effectDuplicated')?.detail).toMatch(
      /store holds 2 credits/,
    );
  });

  it('check-then-act holds its own claim (at-least-once effects)', async () => {
    const { result } = await caseOf('check-then-act');
    expect(result.guarantee.delivery).toBe('at-least-once');
    expect(result.counts.effectDuplicated).toBeGreaterThan(0);
    expect(result.valid).toBe(true);
  });

  it('ack-then-credit loses the credit of a crash after the ack, which at-most-once allows', async () => {
    // Every crash loses what the consumer had in hand (acked already): two crashes, early on.
    const { result } = await caseOf('ack-then-credit', undefined, [
      { group: 0, atDelivery: 4, point: 'after-ack' },
      { group: 0, atDelivery: 10, point: 'after-effect' },
    ]);
    expect(result.guarantee.delivery).toBe('at-most-once');
    expect(result.reasons).toEqual([]);
    expect(result.counts.lost).toBeGreaterThan(0);
    expect(result.counts.effectDuplicated).toBe(0);
    expect(result.valid).toBe(true);
  });
});
