import type { CheckerFamily, FamilyAnomaly, FamilyPass } from '../../core/checker-family.ts';
import { type EventInput, groupOf, type HistoryEvent } from '../../core/events.ts';

interface PerGroup {
  /** Index of the first `process` per id. */
  firstProcess: Map<string, number>;
  dlq: Set<string>;
  /** The read-back: effects in the store per id, and the event that said so. */
  stored: Map<string, { effects: number; i: number }>;
  /** The group's read-back happened (its marker event, even when it found nothing). */
  readBack: boolean;
}

/**
 * Effects judged from the store (docs/semantics.md "Store read-back"): `effectDuplicated` is a
 * transaction credited more than once in the ledger, `effectMissing` an acknowledged, non-poison
 * message the consumer processed whose credit the ledger does not hold. The consumer's own
 * `effect` events are only its claim; without a read-back effects cannot be judged.
 */
export const effectsFromStore: CheckerFamily = {
  name: 'effects-from-store',
  kinds: ['effectDuplicated', 'effectMissing'],
  start: (): FamilyPass => {
    const acknowledged = new Map<string, number>();
    const poison = new Set<string>();
    const groups = new Map<string, PerGroup>();
    const group = (name: string) => {
      let g = groups.get(name);
      if (!g) {
        g = { firstProcess: new Map(), dlq: new Set(), stored: new Map(), readBack: false };
        groups.set(name, g);
      }
      return g;
    };
    return {
      add(e: HistoryEvent) {
        if (e.f === 'send') {
          if (e.type === 'invoke' && e.poison === true) poison.add(e.id);
          if (e.type === 'ok' && !acknowledged.has(e.id)) acknowledged.set(e.id, e.i);
        } else if (e.f === 'process') {
          const g = group(groupOf(e));
          if (!g.firstProcess.has(e.id)) g.firstProcess.set(e.id, e.i);
        } else if (e.f === 'dlq') group(groupOf(e)).dlq.add(e.id);
        else if (e.f === 'state' && (typeof e.effects === 'number' || typeof e.transactions === 'number')) {
          const g = group(groupOf(e));
          g.readBack = true;
          if (e.id !== undefined && typeof e.effects === 'number')
            g.stored.set(e.id, { effects: e.effects, i: e.i });
        }
      },
      result() {
        const counts: Record<string, { effectDuplicated: number; effectMissing: number }> = {};
        const anomalies: FamilyAnomaly[] = [];
        const reasons: string[] = [];
        for (const [name, g] of groups) {
          const c = { effectDuplicated: 0, effectMissing: 0 };
          counts[name] = c;
          if (!g.readBack) {
            if (g.firstProcess.size > 0)
              reasons.push(`the store was not read back for group ${name}: its effects cannot be judged`);
            continue;
          }
          for (const [id, s] of g.stored) {
            if (s.effects <= 1) continue;
            c.effectDuplicated++;
            anomalies.push({
              kind: 'effectDuplicated',
              id,
              group: name,
              events: [g.firstProcess.get(id) ?? -1, s.i].filter((i) => i >= 0),
              detail: `the store holds ${s.effects} credits for transaction ${id} in group ${name}`,
            });
          }
          for (const [id, processedAt] of g.firstProcess) {
            if ((g.stored.get(id)?.effects ?? 0) > 0 || poison.has(id) || g.dlq.has(id)) continue;
            const sentAt = acknowledged.get(id);
            if (sentAt === undefined) continue;
            c.effectMissing++;
            anomalies.push({
              kind: 'effectMissing',
              id,
              group: name,
              events: [sentAt, processedAt],
              detail: `processed in group ${name}, but the store holds no credit for transaction ${id}`,
            });
          }
        }
        return { counts, anomalies, reasons };
      },
    };
  },
};

/**
 * The store read-back `effectsFromStore` judges: one marker per group (its read-back happened, even
 * when the store holds nothing), then one `state` event per message id with its effects.
 */
export function effectsReadBack(
  groups: readonly string[],
  effects: readonly { group: string; id: string; effects: number }[],
): EventInput[] {
  return [
    ...groups.map(
      (group): EventInput => ({
        p: 'harness',
        type: 'ok',
        f: 'state',
        group,
        transactions: effects.filter((e) => e.group === group).length,
      }),
    ),
    ...effects.map(
      (e): EventInput => ({
        p: 'harness',
        type: 'ok',
        f: 'state',
        group: e.group,
        id: e.id,
        effects: e.effects,
      }),
    ),
  ];
}
