import type { AnomalyCollector } from './anomalies.ts';
import type { GroupColumns, MessageIndex } from './message-index.ts';
import { isAcknowledged } from './sends.ts';

/** `lost`: acknowledged by the broker, yet neither processed nor dead-lettered in the group. */
export function checkLoss(ix: MessageIndex, g: GroupColumns, out: AnomalyCollector): void {
  // The per-message loop captures nothing (a closure over `m` would cost a context per message).
  const processCount = g.processCount.data;
  const firstDlq = g.firstDlq.data;
  for (let m = 0; m < ix.size; m++) {
    if (!isAcknowledged(ix, m)) continue;
    if (processCount[m]! > 0 || firstDlq[m]! >= 0) continue;
    reportLost(ix, g, m, out);
  }
}

function reportLost(ix: MessageIndex, g: GroupColumns, m: number, out: AnomalyCollector): void {
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
