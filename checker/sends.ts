import type { AnomalyCollector } from './anomalies.ts';
import {
  type GroupColumns,
  type MessageIndex,
  SEND_FAIL,
  SEND_INFO,
  SEND_INVOKED,
  SEND_OK,
} from './message-index.ts';

/** Send outcome of a message, from all its send events (docs/semantics.md). */
export const isAttempted = (ix: MessageIndex, m: number) => (ix.flags.data[m]! & SEND_INVOKED) !== 0;
export const isAcknowledged = (ix: MessageIndex, m: number) => (ix.flags.data[m]! & SEND_OK) !== 0;
export const isFailed = (ix: MessageIndex, m: number) => {
  const f = ix.flags.data[m]!;
  return (f & SEND_FAIL) !== 0 && (f & (SEND_OK | SEND_INFO)) === 0;
};
export const isIndeterminate = (ix: MessageIndex, m: number) => {
  const f = ix.flags.data[m]!;
  return (f & SEND_INFO) !== 0 && (f & SEND_OK) === 0;
};

/** `unexpected`, `phantom` and (informational) `recovered` in one group. */
export function checkSends(ix: MessageIndex, g: GroupColumns, out: AnomalyCollector): void {
  // The per-message loop captures nothing (a closure over `m` would cost a context per message).
  for (let m = 0; m < ix.size; m++) {
    if (!g.seen(m)) continue;
    if (!isAttempted(ix, m) || isFailed(ix, m) || isIndeterminate(ix, m)) reportSend(ix, g, m, out);
  }
}

function reportSend(ix: MessageIndex, g: GroupColumns, m: number, out: AnomalyCollector): void {
  const id = ix.ids[m]!;
  if (!isAttempted(ix, m)) {
    out.add(
      'unexpected',
      g.name,
      id,
      () => [g.firstSeen(m)],
      () => `received in group ${g.name} but never sent`,
    );
  } else if (isFailed(ix, m)) {
    out.add(
      'phantom',
      g.name,
      id,
      () => [ix.firstInvoke.data[m]!, ix.firstFail.data[m]!, g.firstSeen(m)],
      () => `every send failed definitely, yet it reached group ${g.name}`,
    );
  } else {
    out.add(
      'recovered',
      g.name,
      id,
      () => [ix.firstInvoke.data[m]!, ix.firstInfo.data[m]!, g.firstSeen(m)],
      () => `send outcome unknown, and it reached group ${g.name}`,
    );
  }
}
