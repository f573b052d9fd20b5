import type { AnomalyCollector } from './anomalies.ts';
import type { GroupColumns, MessageIndex } from './message-index.ts';

/** `redelivered` (info), `duplicated` with `extraProcessing`, and `duplicatedAfterAck` in one group. */
export function checkDuplication(ix: MessageIndex, g: GroupColumns, out: AnomalyCollector): void {
  let extraProcessing = 0;
  for (let m = 0; m < ix.size; m++) {
    const id = ix.ids[m]!;
    const deliveries = g.deliverCount.data[m]!;
    if (deliveries > 1) {
      out.add(
        'redelivered',
        g.name,
        id,
        () => [g.firstDeliver.data[m]!, g.secondDeliver.data[m]!],
        () => `delivered ${deliveries}× to group ${g.name}`,
      );
    }
    const processed = g.processCount.data[m]!;
    if (processed > 1) {
      extraProcessing += processed - 1;
      out.add(
        'duplicated',
        g.name,
        id,
        () => [g.firstProcess.data[m]!, g.secondProcess.data[m]!],
        () => `processed ${processed}× in group ${g.name}`,
      );
    }
    // The broker handed out again what it had confirmed as acknowledged: a delivery after the first
    // ack ok of the id in this group (the last delivery is after it whenever any is).
    const ack = g.firstAckOk.data[m]!;
    const lastDeliver = g.lastDeliver.data[m]!;
    if (ack >= 0 && lastDeliver > ack) {
      out.add(
        'duplicatedAfterAck',
        g.name,
        id,
        () => [ack, lastDeliver],
        () => `delivered again to group ${g.name} after its acknowledgement there had succeeded`,
      );
    }
  }
  out.bump(g.name, 'extraProcessing', extraProcessing);
}
