import { describe, expect, it } from 'vitest';
import { check } from '../../checker/check.ts';
import type { Claim } from '../../core/guarantee.ts';
import { effectsFromStore } from '../../scenarios/idempotent-consumer/checker.ts';
import { producedFromStore } from '../../scenarios/kit/produced-from-store.ts';
import { HistoryBuilder } from '../helpers/history-builder.ts';

const effectivelyOnce: Claim = { delivery: 'effectively-once', ordering: 'none' };
const atLeastOnce: Claim = { delivery: 'at-least-once', ordering: 'none' };
const state = (fields: Record<string, unknown>) => ({
  p: 'harness',
  type: 'ok' as const,
  f: 'state' as const,
  ...fields,
});

/** m1 sent, processed, its effect claimed once; the ledger says what it says. */
function ledgerHistory(credits: number | undefined) {
  const h = new HistoryBuilder().sent('m1').deliver('m1').effect('m1', true).process('m1');
  h.add(state({ group: 'default', transactions: credits === undefined ? 0 : 1 }));
  if (credits !== undefined) h.add(state({ group: 'default', id: 'm1', effects: credits }));
  return h.events;
}

describe('effects judged from the store (idempotent-consumer)', () => {
  const judge = (events: ReturnType<typeof ledgerHistory>) =>
    check(events, { claim: effectivelyOnce, families: [effectsFromStore] });

  it('one credit in the ledger: no effect anomaly', () => {
    const r = judge(ledgerHistory(1));
    expect(r.valid).toBe(true);
    expect(r.counts.effectDuplicated + r.counts.effectMissing).toBe(0);
  });

  it('two credits in the ledger are effectDuplicated, though the consumer claimed one', () => {
    const r = judge(ledgerHistory(2));
    expect(r.valid).toBe(false);
    expect(r.counts.effectDuplicated).toBe(1);
    expect(r.anomalies[0]?.detail).toMatch(/holds 2 credits/);
  });

  it('no credit in the ledger is effectMissing, though the consumer claimed one', () => {
    const r = judge(ledgerHistory(undefined));
    expect(r.counts.effectMissing).toBe(1);
    expect(r.valid).toBe(false);
  });

  it('the consumer claiming two effects does not count when the ledger holds one', () => {
    const events = new HistoryBuilder()
      .sent('m1')
      .deliver('m1')
      .effect('m1', true)
      .deliver('m1')
      .effect('m1', true)
      .process('m1')
      .add(state({ group: 'default', transactions: 1 }))
      .add(state({ group: 'default', id: 'm1', effects: 1 })).events;
    expect(check(events, { claim: effectivelyOnce }).counts.effectDuplicated).toBe(1);
    expect(judge(events).counts.effectDuplicated).toBe(0);
  });

  it('without a read-back the effects cannot be judged: unknown, with the reason', () => {
    const events = new HistoryBuilder().sent('m1').deliver('m1').effect('m1', true).process('m1').events;
    const r = judge(events);
    expect(r.valid).toBe('unknown');
    expect(r.reasons[0]).toMatch(/not read back/);
  });
});

describe('what was produced, judged from the committed orders (outbox, dual write)', () => {
  const judge = (events: ReturnType<HistoryBuilder['add']>['events']) =>
    check(events, { claim: atLeastOnce, families: [producedFromStore] });
  const readBack = (h: HistoryBuilder, committed: { id: string; unsent?: boolean }[]) => {
    h.add(state({ group: 'default', orders: committed.length }));
    for (const c of committed) h.add(state({ id: c.id, committed: true, ...(c.unsent && { unsent: true }) }));
    return h.events;
  };

  it('a committed order processed: nothing lost', () => {
    const r = judge(readBack(new HistoryBuilder().sent('m1').deliver('m1').process('m1'), [{ id: 'm1' }]));
    expect(r.valid).toBe(true);
    expect(r.counts.lost + r.counts.phantom).toBe(0);
  });

  it('a committed order never published is lost, though no send was ever acknowledged', () => {
    const r = judge(readBack(new HistoryBuilder().invoke('m1'), [{ id: 'm1' }]));
    expect(r.valid).toBe(false);
    expect(r.counts.lost).toBe(1);
    expect(r.anomalies[0]?.detail).toMatch(/order committed/);
  });

  it('a published message whose order never committed is phantom, though its send was acknowledged', () => {
    const r = judge(readBack(new HistoryBuilder().sent('m1').deliver('m1').process('m1'), []));
    expect(r.valid).toBe(false);
    expect(r.counts.phantom).toBe(1);
  });

  it('an order still waiting in the outbox is not lost: the verdict is unknown', () => {
    const r = judge(readBack(new HistoryBuilder(), [{ id: 'm1', unsent: true }]));
    expect(r.counts.lost).toBe(0);
    expect(r.valid).toBe('unknown');
    expect(r.reasons[0]).toMatch(/still waiting in the outbox/);
  });

  it('an acknowledged send whose order did not commit is not lost when nothing arrived', () => {
    const r = judge(readBack(new HistoryBuilder().sent('m1'), []));
    expect(r.counts.lost).toBe(0);
    expect(check(new HistoryBuilder().sent('m1').events, { claim: atLeastOnce }).counts.lost).toBe(1);
  });
});
