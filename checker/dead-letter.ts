import type { AnomalyCollector } from './anomalies.ts';
import { type GroupColumns, type MessageIndex, POISON } from './message-index.ts';
import { isAcknowledged } from './sends.ts';

/**
 * `dlqMissing`, `dlqUnexpected` and, with a max-attempts policy N, `dlqEarly` / `dlqLate`: a poison
 * message dead-lettered after fewer / more than N deliveries in the group (those before its first
 * dlq event there).
 */
export function checkDeadLetters(
  ix: MessageIndex,
  g: GroupColumns,
  maxAttempts: number | undefined,
  out: AnomalyCollector,
): void {
  // The per-message loop captures nothing (a closure over `m` would cost a context per message).
  const flags = ix.flags.data;
  const firstDlq = g.firstDlq.data;
  const deliveriesBeforeDlq = g.deliveriesBeforeDlq.data;
  for (let m = 0; m < ix.size; m++) {
    const poison = (flags[m]! & POISON) !== 0;
    const dlq = firstDlq[m]!;
    if (poison && dlq < 0 && isAcknowledged(ix, m)) reportDlqMissing(ix, g, m, out);
    if (!poison && dlq >= 0) reportDlqUnexpected(ix, g, m, out);
    if (poison && dlq >= 0 && maxAttempts !== undefined && deliveriesBeforeDlq[m]! !== maxAttempts) {
      reportDlqAttempts(ix, g, m, maxAttempts, out);
    }
  }
}

function reportDlqMissing(ix: MessageIndex, g: GroupColumns, m: number, out: AnomalyCollector): void {
  out.add(
    'dlqMissing',
    g.name,
    ix.ids[m]!,
    () => [ix.firstInvoke.data[m]!, ix.firstOk.data[m]!],
    () => `poison message never reached the dead-letter destination of group ${g.name}`,
  );
}

function reportDlqUnexpected(ix: MessageIndex, g: GroupColumns, m: number, out: AnomalyCollector): void {
  out.add(
    'dlqUnexpected',
    g.name,
    ix.ids[m]!,
    () => [ix.firstInvoke.data[m]!, g.firstDlq.data[m]!],
    () => `not poison, yet dead-lettered in group ${g.name}`,
  );
}

function reportDlqAttempts(
  ix: MessageIndex,
  g: GroupColumns,
  m: number,
  maxAttempts: number,
  out: AnomalyCollector,
): void {
  const attempts = g.deliveriesBeforeDlq.data[m]!;
  out.add(
    attempts < maxAttempts ? 'dlqEarly' : 'dlqLate',
    g.name,
    ix.ids[m]!,
    () => [g.firstDeliver.data[m]!, g.firstDlq.data[m]!],
    () => `dead-lettered after ${attempts} deliveries in group ${g.name}; the policy is ${maxAttempts}`,
  );
}
