import type { CheckerFamily, FamilyAnomaly, FamilyPass } from '../../core/checker-family.ts';
import { groupOf, type HistoryEvent } from '../../core/events.ts';

interface PerGroup {
  /** Index of the first `deliver` or `process` (or `dlq`) per id: what reached the group. */
  reached: Map<string, number>;
  processed: Set<string>;
  deadLettered: Set<string>;
  readBack: boolean;
}

/**
 * `lost` and `phantom` judged from the store (docs/semantics.md "Produced: the committed row"): a
 * message was produced when its business row committed, whatever the producer saw of its send.
 *
 * - `lost` in g: the order's row committed, and the message was neither processed nor dead-lettered
 *   in g. A committed order still waiting in the outbox when the load ended was never produced to
 *   the broker: it makes the verdict unknown (the relay ran out of time), not `lost`.
 * - `phantom` in g: delivered, processed or dead-lettered in g, and no committed row has its id —
 *   the broker carries a message the business never recorded.
 */
export const producedFromStore: CheckerFamily = {
  name: 'produced-from-store',
  kinds: ['lost', 'phantom'],
  start: (): FamilyPass => {
    const committed = new Map<string, number>();
    const unsent = new Set<string>();
    const groups = new Map<string, PerGroup>();
    const group = (name: string) => {
      let g = groups.get(name);
      if (!g) {
        g = { reached: new Map(), processed: new Set(), deadLettered: new Set(), readBack: false };
        groups.set(name, g);
      }
      return g;
    };
    return {
      add(e: HistoryEvent) {
        if (e.f === 'deliver' || e.f === 'process' || e.f === 'dlq') {
          const g = group(groupOf(e));
          if (!g.reached.has(e.id)) g.reached.set(e.id, e.i);
          if (e.f === 'process') g.processed.add(e.id);
          if (e.f === 'dlq') g.deadLettered.add(e.id);
        } else if (e.f === 'state') {
          if (typeof e.orders === 'number') group(groupOf(e)).readBack = true;
          else if (e.committed === true && e.id !== undefined) {
            committed.set(e.id, e.i);
            if (e.unsent === true) unsent.add(e.id);
          }
        }
      },
      result() {
        const counts: Record<string, { lost: number; phantom: number }> = {};
        const anomalies: FamilyAnomaly[] = [];
        const reasons: string[] = [];
        for (const [name, g] of groups) {
          const c = { lost: 0, phantom: 0 };
          counts[name] = c;
          if (!g.readBack) {
            reasons.push(`the store was not read back for group ${name}: what was produced cannot be judged`);
            continue;
          }
          let pending = 0;
          for (const [id, at] of committed) {
            if (g.processed.has(id) || g.deadLettered.has(id)) continue;
            if (unsent.has(id)) {
              pending++;
              continue;
            }
            c.lost++;
            anomalies.push({
              kind: 'lost',
              id,
              group: name,
              events: [at, g.reached.get(id) ?? -1].filter((i) => i >= 0),
              detail: `its order committed, but it was never processed in group ${name}`,
            });
          }
          if (pending > 0)
            reasons.push(`${pending} committed orders were still waiting in the outbox when the load ended`);
          for (const [id, at] of g.reached) {
            if (committed.has(id)) continue;
            c.phantom++;
            anomalies.push({
              kind: 'phantom',
              id,
              group: name,
              events: [at],
              detail: `reached group ${name}, but no order with this id ever committed`,
            });
          }
        }
        return { counts, anomalies, reasons: [...new Set(reasons)] };
      },
    };
  },
};
