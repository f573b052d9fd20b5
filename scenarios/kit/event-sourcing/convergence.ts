import type { CheckerFamily, FamilyPass, FamilyResult } from '../../../core/checker-family.ts';
import { groupOf, type HistoryEvent } from '../../../core/events.ts';

/** How long the read models took to catch up after one fault healed (or one process crashed). */
export interface ConvergenceAfterFault {
  /** The fault (`partition`, `broker-kill`, …) or `crash` for a process crash. */
  fault: string;
  target: string;
  /** When it healed (a crash: when the process died; it restarts on its own), ms since the case started. */
  healedAtMs: number;
  /**
   * Events acknowledged to writers by then that some projection had not applied yet, and how long
   * after the heal the last of them was first applied (0: none was missing; null: one never was).
   */
  behind: number;
  convergedAfterMs: number | null;
}

/**
 * The `convergence` measurement: after each heal, the time until every projection had applied
 * every event acknowledged before it. Measured only, never part of the verdict (losses are the
 * projection family's). Pure, like the other families.
 */
export const convergenceFamily: CheckerFamily = {
  name: 'convergence',
  kinds: [],
  start(): FamilyPass {
    const acked = new Map<string, number>();
    const applied = new Map<string, Map<string, number>>();
    const heals: { fault: string; target: string; t: number }[] = [];
    return {
      add(e: HistoryEvent) {
        if (e.f === 'append' && e.type === 'ok' && !acked.has(e.id)) acked.set(e.id, e.t);
        else if (e.f === 'apply') {
          const group = groupOf(e);
          let firsts = applied.get(group);
          if (!firsts) {
            firsts = new Map();
            applied.set(group, firsts);
          }
          if (!firsts.has(e.id)) firsts.set(e.id, e.t);
        } else if (e.f === 'fault' && e.action === 'stop' && e.type === 'ok')
          heals.push({ fault: e.fault, target: e.target, t: e.t });
        else if (e.f === 'crash' && e.type === 'info')
          heals.push({ fault: 'crash', target: e.target, t: e.t });
      },
      result(): FamilyResult {
        const result: FamilyResult = { counts: {}, anomalies: [], reasons: [] };
        if (heals.length === 0 || applied.size === 0) return result;
        const convergence = heals.map((h) => catchUp(h, acked, applied));
        return { ...result, measurements: { convergence } };
      },
    };
  },
};

function catchUp(
  heal: { fault: string; target: string; t: number },
  acked: ReadonlyMap<string, number>,
  applied: ReadonlyMap<string, ReadonlyMap<string, number>>,
): ConvergenceAfterFault {
  let behind = 0;
  let last = heal.t;
  let never = false;
  for (const [id, ackedAt] of acked) {
    if (ackedAt > heal.t) continue;
    for (const firsts of applied.values()) {
      const at = firsts.get(id);
      if (at !== undefined && at <= heal.t) continue;
      behind++;
      if (at === undefined) never = true;
      else last = Math.max(last, at);
    }
  }
  return {
    fault: heal.fault,
    target: heal.target,
    healedAtMs: Math.round(heal.t / 1000),
    behind,
    convergedAfterMs: never ? null : Math.round((last - heal.t) / 1000),
  };
}
