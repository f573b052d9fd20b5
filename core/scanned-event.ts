/**
 * The record the history scanner fills for each plain line (core/event-scanner.ts), reused from
 * line to line: the known message-event keys, each `undefined` when the line does not have it.
 */

/** The keys the scanner knows; their order is the order of `ScannedEvent`'s fields. */
export const SCANNED_FIELDS = [
  'i',
  't',
  'p',
  'type',
  'f',
  'id',
  'group',
  'dest',
  'key',
  'poison',
  'partition',
  'offset',
  'error',
  'redelivered',
  'deliveryCount',
  'requeue',
  'reason',
  'txn',
  'applied',
] as const;

/** One scanned line; absent keys are `undefined` (as they would be on a parsed object). */
export class ScannedEvent {
  i: unknown;
  t: unknown;
  p: unknown;
  type: unknown;
  f: unknown;
  id: unknown;
  group: unknown;
  dest: unknown;
  key: unknown;
  poison: unknown;
  partition: unknown;
  offset: unknown;
  error: unknown;
  redelivered: unknown;
  deliveryCount: unknown;
  requeue: unknown;
  reason: unknown;
  txn: unknown;
  applied: unknown;
  [extra: string]: unknown;

  reset(): void {
    this.i = this.t = this.p = this.type = this.f = this.id = this.group = this.dest = undefined;
    this.key = this.poison = this.partition = this.offset = this.error = this.redelivered = undefined;
    this.deliveryCount = this.requeue = this.reason = this.txn = this.applied = undefined;
  }

  /** A plain object with the keys the line had, for readers that keep events. */
  copy(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of SCANNED_FIELDS) {
      const v = this[name];
      if (v !== undefined) out[name] = typeof v === 'string' ? ownString(v) : v;
    }
    return out;
  }
}

// Field codes: indices into SCANNED_FIELDS.
export const I = 0;
export const T = 1;
export const P = 2;
export const TYPE = 3;
export const F = 4;
export const ID = 5;
export const GROUP = 6;
export const DEST = 7;
export const KEY = 8;
export const POISON = 9;
export const PARTITION = 10;
export const OFFSET = 11;
export const ERROR = 12;
export const REDELIVERED = 13;
export const DELIVERY_COUNT = 14;
export const REQUEUE = 15;
export const REASON = 16;
export const TXN = 17;
export const APPLIED = 18;

/**
 * Named stores (a computed key would make V8 look the name up on every line), with literal cases
 * so the switch compiles to a jump table.
 */
export function store(into: ScannedEvent, field: number, value: unknown): void {
  switch (field) {
    case 0:
      into.i = value;
      return;
    case 1:
      into.t = value;
      return;
    case 2:
      into.p = value;
      return;
    case 3:
      into.type = value;
      return;
    case 4:
      into.f = value;
      return;
    case 5:
      into.id = value;
      return;
    case 6:
      into.group = value;
      return;
    case 7:
      into.dest = value;
      return;
    case 8:
      into.key = value;
      return;
    case 9:
      into.poison = value;
      return;
    case 10:
      into.partition = value;
      return;
    case 11:
      into.offset = value;
      return;
    case 12:
      into.error = value;
      return;
    case 13:
      into.redelivered = value;
      return;
    case 14:
      into.deliveryCount = value;
      return;
    case 15:
      into.requeue = value;
      return;
    case 16:
      into.reason = value;
      return;
    case 17:
      into.txn = value;
      return;
    default:
      into.applied = value;
  }
}

/**
 * A copy of `s` that does not keep a larger string alive. The scanner slices
 * values out of a 1 MB chunk, and V8 makes a slice of 13 or more characters a view into its parent:
 * kept as a map key, it would keep the whole chunk. Flattening a fresh concatenation copies it.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
