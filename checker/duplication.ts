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
    const ack = g.firstAckOk.data[m]!;
    if (ack >= 0 && g.lastProcess.data[m]! > ack) {
      out.add(
        'duplicatedAfterAck',
        g.name,
        id,
        () => [ack, g.lastProcess.data[m]!],
        () => `processed in group ${g.name} after its acknowledgement succeeded`,
      );
    }
  }
  out.bump(g.name, 'extraProcessing', extraProcessing);
}
