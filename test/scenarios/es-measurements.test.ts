import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/events.ts';
import { convergenceFamily } from '../../scenarios/kit/event-sourcing/convergence.ts';
import { eventStoreFamily } from '../../scenarios/kit/event-sourcing/store-checker.ts';
import { EsHistoryBuilder } from '../helpers/es-history-builder.ts';

const CLAIM = { delivery: 'at-least-once', ordering: 'none', projection: 'at-least-once' } as const;

function measure(events: HistoryEvent[]) {
  const passes = [eventStoreFamily, convergenceFamily].map((f) => f.start(CLAIM));
  for (const e of events) for (const pass of passes) pass.add(e);
  return Object.assign({}, ...passes.map((pass) => pass.result().measurements ?? {}));
}

const heal = (h: EsHistoryBuilder, fault = 'partition') =>
  h.add({ p: 'nemesis', type: 'ok', f: 'fault', fault, action: 'stop', target: 'all' });

describe('event-sourcing measurements', () => {
  it('counts appends: accepted ids, conflicts, unknown outcomes and forks', () => {
    const h = new EsHistoryBuilder()
      .appended('e1', 's', 1)
      .appendInvoke('e2', 's', 0, 'writer-1')
      .appendFail('e2', 's', 'writer-1')
      .appendInvoke('e3', 's', 1, 'writer-2')
      .appendInfo('e3', 's', 'writer-2')
      .appended('e4', 's', 1, { p: 'writer-3', expected: 0 })
      .appended('e5', 't', 1);
    expect(measure(h.events).appends).toEqual({
      streams: 2,
      accepted: 3,
      conflicts: 1,
      rejected: 0,
      unknown: 1,
      forks: 1,
    });
  });

  it('times the catch-up after a heal from the last first apply of what was acknowledged before it', () => {
    const h = new EsHistoryBuilder().appended('e1', 's', 1).appended('e2', 's', 2).apply('e1', 's', 1);
    heal(h);
    const healedAt = h.events.at(-1)!.t;
    h.wait(250).apply('e2', 's', 2).apply('e2', 's', 2); // a repeat changes nothing
    const [after] = measure(h.events).convergence;
    const lastApply = h.events.at(-2)!.t;
    expect(after).toEqual({
      fault: 'partition',
      target: 'all',
      healedAtMs: Math.round(healedAt / 1000),
      behind: 1,
      convergedAfterMs: Math.round((lastApply - healedAt) / 1000),
    });
    expect(after.convergedAfterMs).toBeGreaterThanOrEqual(250);
  });

  it('says 0 when nothing was behind, and null when an event acknowledged before the heal never arrives', () => {
    const caughtUp = new EsHistoryBuilder().appended('e1', 's', 1).apply('e1', 's', 1);
    heal(caughtUp);
    expect(measure(caughtUp.events).convergence[0]).toMatchObject({ behind: 0, convergedAfterMs: 0 });

    const never = new EsHistoryBuilder().appended('e1', 's', 1).appended('e2', 's', 2).apply('e1', 's', 1);
    never.add({ p: 'nemesis', type: 'info', f: 'crash', target: 'consumer-0', point: 'between-writes' });
    never.appended('e3', 's', 3).apply('e3', 's', 3);
    // e3 came after the crash: only e2 is judged, and it never arrives.
    expect(measure(never.events).convergence[0]).toMatchObject({
      fault: 'crash',
      target: 'consumer-0',
      behind: 1,
      convergedAfterMs: null,
    });
  });

  it('measures nothing without a heal or without a projection', () => {
    const noHeal = new EsHistoryBuilder().appended('e1', 's', 1).apply('e1', 's', 1);
    expect(measure(noHeal.events).convergence).toBeUndefined();
    const noProjection = new EsHistoryBuilder().appended('e1', 's', 1);
    heal(noProjection);
    expect(measure(noProjection.events).convergence).toBeUndefined();
  });
});
