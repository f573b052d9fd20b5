import { describe, expect, it } from 'vitest';
import { readHistory } from '../../core/history-reader.ts';
import { MemoryDriver } from '../../drivers/memory/memory-driver.ts';
import { runCase } from '../../runner/run-case.ts';
import { cqrs } from '../../scenarios/cqrs/index.ts';
import { decideOrder, digestOfOrders, replayOrders } from '../../scenarios/cqrs/orders.ts';
import type {
  AppendTally,
  ConvergenceAfterFault,
  StaleReadMeasurement,
} from '../../scenarios/kit/event-sourcing/checker.ts';
import type { LoggedEvent } from '../../scenarios/kit/event-sourcing/event-log.ts';
import { fixedWorkload, scenarioPlan, tempDir } from './case-plans.ts';

/**
 * Three writers on four customers; the projection crashes twice between its two writes (and once
 * at each other point), paced so the query clients read while the projection works.
 */
const workload = fixedWorkload({
  messages: 150,
  producers: 3,
  keys: 4,
  maxProcessingMs: 2,
  crashes: [
    { group: 0, atDelivery: 10, point: 'between-writes' },
    { group: 0, atDelivery: 30, point: 'between-writes' },
    { group: 0, atDelivery: 50, point: 'before-process' },
    { group: 0, atDelivery: 70, point: 'after-process' },
    { group: 0, atDelivery: 90, point: 'after-ack' },
  ],
});

async function caseOf(variant: string, projection?: 'exactly-once') {
  const driver = new MemoryDriver({});
  const plan = scenarioPlan(driver, 'queue', cqrs, variant, workload);
  if (projection) plan.claim = { ...plan.claim, projection };
  const outDir = tempDir('brokerproof-cqrs-');
  const result = await runCase(plan, driver, { outDir, store: { kind: 'memory' } });
  await driver.close();
  return { result, events: (await readHistory(`${outDir}/${result.history}`)).events };
}

describe('the cqrs command model', () => {
  const created = (id: string, version: number): LoggedEvent => ({
    id,
    stream: 'customer-0',
    version,
    type: 'OrderCreated',
    data: id,
  });

  it('creates orders, cancels only open ones, and rejects the rest', () => {
    const decisions = Array.from({ length: 60 }, (_, k) => decideOrder(`m${k}`)([created('m100', 1)]));
    expect(decisions.some((d) => d?.type === 'OrderCreated')).toBe(true);
    expect(decisions.filter((d) => d?.type === 'OrderCancelled').every((d) => d!.data === 'm100')).toBe(true);
    expect(decisions.some((d) => d === undefined)).toBe(true);
    // Nothing open: no cancel is decided.
    const cancelled = { ...created('m100', 2), type: 'OrderCancelled' };
    const onClosed = Array.from({ length: 60 }, (_, k) =>
      decideOrder(`m${k}`)([created('m100', 1), cancelled]),
    );
    expect(onClosed.some((d) => d?.type === 'OrderCancelled')).toBe(false);
  });

  it('lists a customer the same way however often the same version is folded in again', () => {
    const once = replayOrders([created('a', 1), created('b', 2)]);
    const twice = replayOrders([created('a', 1), created('b', 2), created('b', 2)]);
    expect(digestOfOrders('customer-0', twice)).toBe(digestOfOrders('customer-0', once));
    expect(digestOfOrders('customer-0', replayOrders([created('a', 1)]))).not.toBe(
      digestOfOrders('customer-0', once),
    );
  });
});

describe('cqrs on the memory broker and store', () => {
  it('checkpoint-in-transaction holds exactly-once projections through crashes between the writes', async () => {
    const { result, events } = await caseOf('checkpoint-in-transaction');
    expect(result.guarantee).toMatchObject({ projection: 'exactly-once', concurrency: 'optimistic' });
    expect(result.crashes.filter((c) => c.point === 'between-writes')).toHaveLength(2);
    expect(result.reasons).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.counts.projectionDuplicated ?? 0).toBe(0);
    expect(result.counts.projectionLost ?? 0).toBe(0);
    // Query clients read the lists while the projection worked.
    expect(events.filter((e) => e.f === 'query' && e.type === 'ok').length).toBeGreaterThan(5);
    const m = result.measurements as {
      staleReads: StaleReadMeasurement;
      appends: AppendTally;
      convergence: ConvergenceAfterFault[];
    };
    expect(m.staleReads.queries).toBeGreaterThan(5);
    expect(m.staleReads.lagMs.max).toBeGreaterThanOrEqual(m.staleReads.lagMs.p50);
    const appended = events.filter((e) => e.f === 'append' && e.type === 'ok').length;
    expect(m.appends.accepted).toBe(appended);
    expect(m.convergence.filter((c) => c.fault === 'crash')).toHaveLength(5);
    expect(m.convergence.every((c) => c.convergedAfterMs !== null)).toBe(true);
  }, 60_000);

  it('checkpoint-after applies again after a crash between the writes: allowed at-least-once, caught when exactly-once is claimed', async () => {
    const atLeastOnce = await caseOf('checkpoint-after');
    expect(atLeastOnce.result.guarantee.projection).toBe('at-least-once');
    expect(atLeastOnce.result.counts.projectionDuplicated).toBeGreaterThan(0);
    expect(atLeastOnce.result.counts.readModelDiverged ?? 0).toBe(0);
    expect(atLeastOnce.result.valid).toBe(true);

    const exactlyOnce = await caseOf('checkpoint-after', 'exactly-once');
    expect(exactlyOnce.result.valid).toBe(false);
    expect(exactlyOnce.result.violations).toContain('projectionDuplicated');
  }, 60_000);

  it('checkpoint-before loses the event a crash between the writes had checkpointed', async () => {
    const { result } = await caseOf('checkpoint-before');
    expect(result.valid).toBe(false);
    expect(result.counts.projectionLost).toBeGreaterThan(0);
    expect(result.violations).toContain('projectionLost');
  }, 60_000);
});
