import type { AnomalyCollector } from './anomalies.ts';
import type { GroupColumns, MessageIndex } from './message-index.ts';
import { isAcknowledged } from './sends.ts';

/** `lost`: acknowledged by the broker, yet neither processed nor dead-lettered in the group. */
export function checkLoss(ix: MessageIndex, g: GroupColumns, out: AnomalyCollector): void {
  for (let m = 0; m < ix.size; m++) {
    if (!isAcknowledged(ix, m)) continue;
    if (g.processCount.data[m]! > 0 || g.firstDlq.data[m]! >= 0) continue;
    const delivered = g.deliverCount.data[m]!;
    out.add(
      'lost',
      g.name,
      ix.ids[m]!,
      () => [ix.firstInvoke.data[m]!, ix.firstOk.data[m]!, g.firstDeliver.data[m]!],
      () =>
        delivered > 0
          ? `acknowledged by the broker, delivered ${delivered}× to group ${g.name} but never processed`
          : `acknowledged by the broker, never delivered to group ${g.name}`,
    );
  }
}
