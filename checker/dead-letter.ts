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
  for (let m = 0; m < ix.size; m++) {
    const id = ix.ids[m]!;
    const poison = (ix.flags.data[m]! & POISON) !== 0;
    const dlq = g.firstDlq.data[m]!;
    if (poison && dlq < 0 && isAcknowledged(ix, m)) {
      out.add(
        'dlqMissing',
        g.name,
        id,
        () => [ix.firstInvoke.data[m]!, ix.firstOk.data[m]!],
        () => `poison message never reached the dead-letter destination of group ${g.name}`,
      );
    }
    if (!poison && dlq >= 0) {
      out.add(
        'dlqUnexpected',
        g.name,
        id,
        () => [ix.firstInvoke.data[m]!, dlq],
        () => `not poison, yet dead-lettered in group ${g.name}`,
      );
    }
    if (poison && dlq >= 0 && maxAttempts !== undefined) {
      const attempts = g.deliveriesBeforeDlq.data[m]!;
      if (attempts !== maxAttempts) {
        out.add(
          attempts < maxAttempts ? 'dlqEarly' : 'dlqLate',
          g.name,
          id,
          () => [g.firstDeliver.data[m]!, dlq],
          () => `dead-lettered after ${attempts} deliveries in group ${g.name}; the policy is ${maxAttempts}`,
        );
      }
    }
  }
}
