import type { AnomalyCollector } from './anomalies.ts';
import { type GroupColumns, type MessageIndex, POISON } from './message-index.ts';
import { isAcknowledged } from './sends.ts';

/**
 * `effectDuplicated` and `effectMissing` of the idempotent processor. Computed only when the history
 * holds at least one effect event (the caller decides).
 */
export function checkEffects(ix: MessageIndex, g: GroupColumns, out: AnomalyCollector): void {
  for (let m = 0; m < ix.size; m++) {
    const id = ix.ids[m]!;
    const applied = g.effectApplied.data[m]!;
    if (applied > 1) {
      out.add(
        'effectDuplicated',
        g.name,
        id,
        () => [g.firstEffectApplied.data[m]!, g.secondEffectApplied.data[m]!],
        () => `side effect applied ${applied}× in group ${g.name}`,
      );
    }
    const poison = (ix.flags.data[m]! & POISON) !== 0;
    if (applied === 0 && !poison && isAcknowledged(ix, m) && g.processCount.data[m]! > 0) {
      out.add(
        'effectMissing',
        g.name,
        id,
        () => [ix.firstOk.data[m]!, g.firstProcess.data[m]!],
        () => `processed in group ${g.name} but its side effect was never applied`,
      );
    }
  }
}
