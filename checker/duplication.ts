import type { AnomalyCollector } from './anomalies.ts';
import type { GroupColumns, MessageIndex } from './message-index.ts';

/** `redelivered` (info), `duplicated` with `extraProcessing`, and `duplicatedAfterAck` in one group. */
export function checkDuplication(ix: MessageIndex, g: GroupColumns, out: AnomalyCollector): void {
  // The loop runs once per message and captures nothing: a closure over `m` here would cost a
  // context per message even when no anomaly is found. The reports below make theirs.
  const deliverCount = g.deliverCount.data;
  const processCount = g.processCount.data;
  const firstAckOk = g.firstAckOk.data;
  const lastDeliver = g.lastDeliver.data;
  let extraProcessing = 0;
  for (let m = 0; m < ix.size; m++) {
    if (deliverCount[m]! > 1) reportRedelivered(ix, g, m, out);
    const processed = processCount[m]!;
    if (processed > 1) {
      extraProcessing += processed - 1;
      reportDuplicated(ix, g, m, out);
    }
    // The broker handed out again what it had confirmed as acknowledged: a delivery after the first
    // ack ok of the id in this group (the last delivery is after it whenever any is).
    const ack = firstAckOk[m]!;
    if (ack >= 0 && lastDeliver[m]! > ack) reportDuplicatedAfterAck(ix, g, m, out);
  }
  out.bump(g.name, 'extraProcessing', extraProcessing);
}

function reportRedelivered(ix: MessageIndex, g: GroupColumns, m: number, out: AnomalyCollector): void {
  const deliveries = g.deliverCount.data[m]!;
  out.add(
    'redelivered',
    g.name,
    ix.ids[m]!,
    () => [g.firstDeliver.data[m]!, g.secondDeliver.data[m]!],
    () => `delivered ${deliveries}× to group ${g.name}`,
  );
}

function reportDuplicated(ix: MessageIndex, g: GroupColumns, m: number, out: AnomalyCollector): void {
  const processed = g.processCount.data[m]!;
  out.add(
    'duplicated',
    g.name,
    ix.ids[m]!,
    () => [g.firstProcess.data[m]!, g.secondProcess.data[m]!],
    () => `processed ${processed}× in group ${g.name}`,
  );
}

function reportDuplicatedAfterAck(ix: MessageIndex, g: GroupColumns, m: number, out: AnomalyCollector): void {
  out.add(
    'duplicatedAfterAck',
    g.name,
    ix.ids[m]!,
    () => [g.firstAckOk.data[m]!, g.lastDeliver.data[m]!],
    () => `delivered again to group ${g.name} after its acknowledgement there had succeeded`,
  );
}
