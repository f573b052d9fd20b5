import type { AnomalyCollector } from './anomalies.ts';
import { type GroupColumns, type MessageIndex, POISON } from './message-index.ts';
import { isAcknowledged } from './sends.ts';

/**
 * `effectDuplicated` and `effectMissing` of the idempotent processor. Computed only when the history
 * holds at least one effect event (the caller decides).
 */
export function checkEffects(ix: MessageIndex, g: GroupColumns, out: AnomalyCollector): void {
  // The per-message loop captures nothing (a closure over `m` would cost a context per message).
  const effectApplied = g.effectApplied.data;
  const processCount = g.processCount.data;
  const flags = ix.flags.data;
  for (let m = 0; m < ix.size; m++) {
    const applied = effectApplied[m]!;
    if (applied > 1) reportEffectDuplicated(ix, g, m, out);
    const poison = (flags[m]! & POISON) !== 0;
    if (applied === 0 && !poison && isAcknowledged(ix, m) && processCount[m]! > 0) {
      reportEffectMissing(ix, g, m, out);
    }
  }
}

function reportEffectDuplicated(ix: MessageIndex, g: GroupColumns, m: number, out: AnomalyCollector): void {
  const applied = g.effectApplied.data[m]!;
  out.add(
    'effectDuplicated',
    g.name,
    ix.ids[m]!,
    () => [g.firstEffectApplied.data[m]!, g.secondEffectApplied.data[m]!],
    () => `side effect applied ${applied}× in group ${g.name}`,
  );
}

function reportEffectMissing(ix: MessageIndex, g: GroupColumns, m: number, out: AnomalyCollector): void {
  out.add(
    'effectMissing',
    g.name,
    ix.ids[m]!,
    () => [ix.firstOk.data[m]!, g.firstProcess.data[m]!],
    () => `processed in group ${g.name} but its side effect was never applied`,
  );
}
