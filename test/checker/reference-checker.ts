/**
 * An independent reference implementation of checker semantics v2 (docs/semantics.md), written from
 * the semantics table alone (not from checker/*.ts). It is deliberately the most literal, obviously-correct
 * transcription of the spec: every count is a direct scan over the whole history, with no indexes or
 * incremental state. Quadratic (and worse) on purpose; histories in tests are small.
 *
 * Readings taken where the page leaves room (see also the report that introduced this file):
 * - "first", "before", "after" mean file order, compared on the `i` index.
 * - A message's `dest`, `key` and sending process are those of its FIRST send `invoke`.
 * - `poison` means `poison: true` on at least one of the message's send `invoke` events.
 * - Groups "seen in events" are the groups (defaulting to "default") of deliver / process / ack /
 *   nack / dlq / effect events; send, crash, fault and phase events name no group.
 * - A missing `key` (per-key scope) or a first delivery without `partition` (per-partition scope)
 *   is a scope value like any other: all such messages of one `dest` share that scope.
 * - `A's first send ok` is A's first `send`/`ok` event, from whichever process.
 * - duplicatedAfterAck: some `deliver` of the id in g has a larger `i` than some `ack` `ok` of the
 *   id in g (equivalently: than the first one).
 * - reordered compares first `process` events; a message never processed in g is in no pair.
 * - Fault integrity: only `fault` events with `action: "start"` count; `stop` is ignored. A
 *   completion (`ok` / `fail`) closes the earliest open `invoke` with the same (p, fault, target,
 *   action), if there is one. Every start `fail` is a problem whether or not it closed an invoke:
 *   "cancelled" when `reason` is "cancelled", otherwise "failed to start" with `reason`, else
 *   `error`. Every `crash` `fail` is a planned crash that never fired, whatever its `reason`.
 *   Problems are listed in file order of the event that shows them (the completion, the crash, or
 *   the invoke left open); only the first 20 are spelled out, then one "… and N more" line.
 */
import type { HistoryEvent } from '../../core/events.ts';
import type { Claim, DeliveryGuarantee } from '../../core/guarantee.ts';

export const REFERENCE_ANOMALY_KINDS = [
  'lost',
  'unexpected',
  'phantom',
  'recovered',
  'redelivered',
  'duplicated',
  'duplicatedAfterAck',
  'reordered',
  'dlqMissing',
  'dlqUnexpected',
  'dlqEarly',
  'dlqLate',
  'effectDuplicated',
  'effectMissing',
] as const;

/** Counts that are summed over groups (and so also exist per group). */
export const REFERENCE_GROUP_COUNT_NAMES = [
  ...REFERENCE_ANOMALY_KINDS,
  'extraProcessing',
  'delivered',
  'processed',
  'deadLettered',
] as const;

/** Counts over distinct message ids, global (not per group). */
export const REFERENCE_GLOBAL_COUNT_NAMES = ['attempted', 'acknowledged', 'failed', 'indeterminate'] as const;

export const REFERENCE_COUNT_NAMES = [
  ...REFERENCE_GROUP_COUNT_NAMES,
  ...REFERENCE_GLOBAL_COUNT_NAMES,
] as const;

export interface ReferenceFaultIntegrity {
  started: number;
  failed: number;
  cancelled: number;
  neverCompleted: number;
  crashesFired: number;
  crashesCancelled: number;
}

export interface ReferenceResult {
  valid: boolean | 'unknown';
  counts: Record<string, number>;
  groups: Record<string, Record<string, number>>;
  reasons: string[];
  faultIntegrity: ReferenceFaultIntegrity;
}

/** DESIGN.md "Guarantees" table, copied by hand (deliberately not imported from core/guarantee.ts). */
const NOT_ALLOWED: Record<DeliveryGuarantee, string[]> = {
  'at-most-once': ['duplicated', 'unexpected', 'phantom'],
  'at-least-once': ['lost', 'unexpected', 'phantom'],
  'exactly-once': ['lost', 'duplicated', 'unexpected', 'phantom'],
  'effectively-once': ['lost', 'unexpected', 'phantom', 'effectDuplicated', 'effectMissing'],
};

const MESSAGE_OPERATIONS = ['send', 'deliver', 'process', 'ack', 'nack', 'dlq', 'effect'];
const GROUP_OPERATIONS = ['deliver', 'process', 'ack', 'nack', 'dlq', 'effect'];

function groupOf(e: HistoryEvent): string {
  return typeof e.group === 'string' ? e.group : 'default';
}

function idOf(e: HistoryEvent): string | undefined {
  return MESSAGE_OPERATIONS.includes(e.f) && typeof e.id === 'string' ? e.id : undefined;
}

/** The event with the smallest `i` among `events`, if any. */
function first(events: HistoryEvent[]): HistoryEvent | undefined {
  let best: HistoryEvent | undefined;
  for (const e of events) if (best === undefined || e.i < best.i) best = e;
  return best;
}

export function referenceCheck(
  events: HistoryEvent[],
  claim: Claim,
  declaredGroups?: string[],
): ReferenceResult {
  // --- selectors, each a plain scan of the whole history ---------------------------------------
  const sends = (id: string, type: string) =>
    events.filter((e) => e.f === 'send' && e.id === id && e.type === type);
  const inGroup = (f: string, id: string, g: string, type = 'ok') =>
    events.filter((e) => e.f === f && e.id === id && groupOf(e) === g && e.type === type);

  // --- message ids and groups -------------------------------------------------------------------
  const ids: string[] = [];
  for (const e of events) {
    const id = idOf(e);
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  }
  const groups: string[] = [];
  for (const g of declaredGroups ?? []) if (!groups.includes(g)) groups.push(g);
  for (const e of events) {
    if (GROUP_OPERATIONS.includes(e.f) && !groups.includes(groupOf(e))) groups.push(groupOf(e));
  }
  if (groups.length === 0) groups.push('default');

  // --- per message (global) ---------------------------------------------------------------------
  const attempted = (id: string) => sends(id, 'invoke').length >= 1;
  const acknowledged = (id: string) => sends(id, 'ok').length >= 1;
  const failed = (id: string) =>
    sends(id, 'ok').length === 0 && sends(id, 'info').length === 0 && sends(id, 'fail').length >= 1;
  const indeterminate = (id: string) => sends(id, 'ok').length === 0 && sends(id, 'info').length >= 1;
  const poison = (id: string) => sends(id, 'invoke').some((e) => e.poison === true);
  const firstSendInvoke = (id: string) => first(sends(id, 'invoke'));
  const firstSendOk = (id: string) => first(sends(id, 'ok'));

  // --- per message and group --------------------------------------------------------------------
  const delivered = (id: string, g: string) => inGroup('deliver', id, g).length >= 1;
  const processed = (id: string, g: string) => inGroup('process', id, g).length >= 1;
  const deadLettered = (id: string, g: string) => inGroup('dlq', id, g).length >= 1;
  const seen = (id: string, g: string) => delivered(id, g) || processed(id, g) || deadLettered(id, g);
  const hasEffects = events.some((e) => e.f === 'effect');

  /** The ordering scope of `id` in `g`, as a tuple compared component by component with `===`. */
  const scope = (id: string, g: string): unknown[] => {
    const send = firstSendInvoke(id);
    switch (claim.ordering) {
      case 'per-key':
        return [send?.dest, send?.key];
      case 'per-partition':
        return [send?.dest, first(inGroup('deliver', id, g))?.partition];
      default:
        return [send?.dest];
    }
  };
  const sameScope = (a: string, b: string, g: string) => {
    const sa = scope(a, g);
    const sb = scope(b, g);
    return sa.length === sb.length && sa.every((v, k) => v === sb[k]);
  };
  /** B is reordered in g if some A in its scope was sent strictly before it and processed after it. */
  const reordered = (b: string, g: string) =>
    processed(b, g) &&
    ids.some((a) => {
      if (a === b || !processed(a, g) || !sameScope(a, b, g)) return false;
      const aInvoke = firstSendInvoke(a);
      const bInvoke = firstSendInvoke(b);
      const aOk = firstSendOk(a);
      if (aInvoke === undefined || bInvoke === undefined || aOk === undefined) return false;
      if (aInvoke.p !== bInvoke.p) return false;
      if (!(aOk.i < bInvoke.i)) return false;
      return first(inGroup('process', b, g))!.i < first(inGroup('process', a, g))!.i;
    });

  /** Deliveries of `id` in `g` before its first dlq event in `g`. */
  const deliveriesBeforeDlq = (id: string, g: string) => {
    const dlq = first(inGroup('dlq', id, g))!;
    return inGroup('deliver', id, g).filter((d) => d.i < dlq.i).length;
  };
  const maxAttempts = claim.maxAttempts;

  const predicates: Record<string, (id: string, g: string) => boolean> = {
    lost: (id, g) => acknowledged(id) && !processed(id, g) && !deadLettered(id, g),
    unexpected: (id, g) => seen(id, g) && !attempted(id),
    phantom: (id, g) => failed(id) && seen(id, g),
    recovered: (id, g) => indeterminate(id) && seen(id, g),
    redelivered: (id, g) => inGroup('deliver', id, g).length > 1,
    duplicated: (id, g) => inGroup('process', id, g).length > 1,
    duplicatedAfterAck: (id, g) =>
      inGroup('deliver', id, g).some((d) => inGroup('ack', id, g, 'ok').some((a) => a.i < d.i)),
    reordered: (id, g) => claim.ordering !== 'none' && reordered(id, g),
    dlqMissing: (id, g) => poison(id) && acknowledged(id) && !deadLettered(id, g),
    dlqUnexpected: (id, g) => !poison(id) && deadLettered(id, g),
    dlqEarly: (id, g) =>
      maxAttempts !== undefined &&
      poison(id) &&
      deadLettered(id, g) &&
      deliveriesBeforeDlq(id, g) < maxAttempts,
    dlqLate: (id, g) =>
      maxAttempts !== undefined &&
      poison(id) &&
      deadLettered(id, g) &&
      deliveriesBeforeDlq(id, g) > maxAttempts,
    effectDuplicated: (id, g) =>
      hasEffects && inGroup('effect', id, g).filter((e) => e.applied === true).length > 1,
    effectMissing: (id, g) =>
      hasEffects &&
      acknowledged(id) &&
      processed(id, g) &&
      !poison(id) &&
      !inGroup('effect', id, g).some((e) => e.applied === true),
    delivered,
    processed,
    deadLettered,
  };

  // --- counting ---------------------------------------------------------------------------------
  const counts: Record<string, number> = {};
  for (const name of REFERENCE_COUNT_NAMES) counts[name] = 0;
  const perGroup: Record<string, Record<string, number>> = {};
  for (const g of groups) {
    const c: Record<string, number> = {};
    for (const name of REFERENCE_GROUP_COUNT_NAMES) {
      if (name === 'extraProcessing') {
        c[name] = ids.reduce((sum, id) => sum + Math.max(0, inGroup('process', id, g).length - 1), 0);
      } else {
        const predicate = predicates[name]!;
        c[name] = ids.filter((id) => predicate(id, g)).length;
      }
      counts[name]! += c[name];
    }
    perGroup[g] = c;
  }
  counts.attempted = ids.filter(attempted).length;
  counts.acknowledged = ids.filter(acknowledged).length;
  counts.failed = ids.filter(failed).length;
  counts.indeterminate = ids.filter(indeterminate).length;

  // --- verdict ----------------------------------------------------------------------------------
  const notAllowed = [...NOT_ALLOWED[claim.delivery]];
  if (claim.ordering !== 'none') notAllowed.push('reordered');
  if (claim.maxAttempts !== undefined) notAllowed.push('dlqMissing', 'dlqUnexpected', 'dlqEarly', 'dlqLate');
  const { faultIntegrity, reasons } = referenceFaultIntegrity(events);
  // A violation is definite (these histories are complete); faults that did not happen only turn
  // a pass into "unknown".
  const valid = notAllowed.some((kind) => counts[kind]! > 0) ? false : reasons.length > 0 ? 'unknown' : true;

  return { valid, counts, groups: perGroup, reasons, faultIntegrity };
}

/** "Faults must have happened", by a literal walk over the history. */
function referenceFaultIntegrity(events: HistoryEvent[]): {
  faultIntegrity: ReferenceFaultIntegrity;
  reasons: string[];
} {
  const summary: ReferenceFaultIntegrity = {
    started: 0,
    failed: 0,
    cancelled: 0,
    neverCompleted: 0,
    crashesFired: 0,
    crashesCancelled: 0,
  };
  const problems: { i: number; text: string }[] = [];
  const sameKey = (a: HistoryEvent, b: HistoryEvent) =>
    a.p === b.p && a.fault === b.fault && a.target === b.target && a.action === b.action;
  const open: HistoryEvent[] = []; // start invokes not yet completed, in file order
  for (const e of events) {
    if (e.f === 'crash' && e.type === 'info') summary.crashesFired++;
    if (e.f === 'crash' && e.type === 'fail') {
      summary.crashesCancelled++;
      const at = e.point === undefined ? '' : ` at ${e.point}`;
      problems.push({
        i: e.i,
        text: `planned crash of ${e.target}${at} never fired (${e.reason ?? 'no reason given'})`,
      });
    }
    if (e.f !== 'fault' || e.action !== 'start') continue;
    if (e.type === 'invoke') {
      open.push(e);
      continue;
    }
    if (e.type !== 'ok' && e.type !== 'fail') continue;
    const paired = open.findIndex((o) => sameKey(o, e));
    if (paired >= 0) open.splice(paired, 1);
    if (e.type === 'ok') summary.started++;
    if (e.type === 'fail' && e.reason === 'cancelled') {
      summary.cancelled++;
      problems.push({
        i: e.i,
        text: `fault ${e.fault} on ${e.target} was drawn but never started (cancelled)`,
      });
    } else if (e.type === 'fail') {
      summary.failed++;
      problems.push({
        i: e.i,
        text: `fault ${e.fault} on ${e.target} failed to start: ${e.reason ?? e.error ?? 'no reason given'}`,
      });
    }
  }
  for (const e of open) {
    summary.neverCompleted++;
    problems.push({
      i: e.i,
      text: `fault ${e.fault} on ${e.target} was invoked but its start never completed`,
    });
  }
  problems.sort((a, b) => a.i - b.i);
  const reasons = problems.slice(0, 20).map((p) => p.text);
  if (problems.length > 20)
    reasons.push(`… and ${problems.length - 20} more faults or crashes that did not happen`);
  return { faultIntegrity: summary, reasons };
}
