import {
  ALLOWED_TYPES,
  type HistoryEvent,
  MESSAGE_OPERATIONS,
  type Operation,
  PHASES,
  REPLAY_GROUP,
} from './events.ts';
import type { ScannedEvent } from './scanned-event.ts';

/** Thrown by `validateEvent` with a reason; the reader adds file and line. */
export class LineError extends Error {}

const PHASE_SET: ReadonlySet<string> = new Set(PHASES);

/**
 * Checks one parsed line against history format v1 (docs/semantics.md) and returns it as an event. `id` may be written
 * as a string or an integer; it is normalised to a string.
 */
export function validateEvent(value: unknown, previousIndex: number): HistoryEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LineError('expected a JSON object');
  }
  const e = value as Record<string, unknown>;
  const { i, t, p, type, f } = e;
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 0) {
    throw new LineError('"i" must be a non-negative integer');
  }
  if (i <= previousIndex) {
    throw new LineError(`"i" must increase in file order (got ${i} after ${previousIndex})`);
  }
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new LineError('"t" must be a number ≥ 0');
  if (typeof p !== 'string' || p === '') throw new LineError('"p" must be a non-empty string');
  if (typeof f !== 'string' || !(f in ALLOWED_TYPES)) {
    throw new LineError(
      `unknown operation "f": ${JSON.stringify(f)} (expected one of ${Object.keys(ALLOWED_TYPES).join(', ')})`,
    );
  }
  const allowed = ALLOWED_TYPES[f as Operation];
  if (typeof type !== 'string' || !(allowed as readonly string[]).includes(type)) {
    throw new LineError(
      `"type" of a ${f} event must be ${allowed.join(' or ')} (got ${JSON.stringify(type)})`,
    );
  }
  if (MESSAGE_OPERATIONS.has(f as Operation)) {
    const id = e.id;
    if (typeof id === 'number' && Number.isInteger(id)) e.id = String(id);
    else if (typeof id !== 'string' || id === '') throw new LineError(`a ${f} event needs an "id" (string)`);
    if (e.group !== undefined && typeof e.group !== 'string') throw new LineError('"group" must be a string');
    const needsDest = f === 'deliver' || f === 'dlq' || (f === 'send' && type === 'invoke');
    if (needsDest && (typeof e.dest !== 'string' || e.dest === '')) {
      throw new LineError(`a ${f}${f === 'send' ? ' invoke' : ''} event needs a "dest" (string)`);
    }
    if (e.dest !== undefined && typeof e.dest !== 'string') throw new LineError('"dest" must be a string');
  }
  switch (f) {
    case 'send':
      if (e.key !== undefined && e.key !== null && typeof e.key !== 'string') {
        if (typeof e.key === 'number') e.key = String(e.key);
        else throw new LineError('"key" must be a string');
      }
      if (e.poison !== undefined && typeof e.poison !== 'boolean')
        throw new LineError('"poison" must be a boolean');
      checkPartition(e);
      break;
    case 'deliver':
      checkPartition(e);
      if (e.redelivered !== undefined && typeof e.redelivered !== 'boolean') {
        throw new LineError('"redelivered" must be a boolean');
      }
      checkCount(e, 'deliveryCount');
      break;
    case 'dlq':
      checkCount(e, 'deliveryCount');
      break;
    case 'nack':
      if (e.requeue !== undefined && typeof e.requeue !== 'boolean')
        throw new LineError('"requeue" must be a boolean');
      break;
    case 'effect':
      if (typeof e.applied !== 'boolean') throw new LineError('an effect event needs "applied" (boolean)');
      break;
    case 'crash':
      if (typeof e.target !== 'string') throw new LineError('a crash event needs a "target" (string)');
      checkOptionalString(e, 'point');
      checkOptionalString(e, 'reason');
      break;
    case 'fault':
      if (typeof e.fault !== 'string') throw new LineError('a fault event needs a "fault" (string)');
      if (e.action !== 'start' && e.action !== 'stop')
        throw new LineError('"action" must be "start" or "stop"');
      if (typeof e.target !== 'string') throw new LineError('a fault event needs a "target" (string)');
      checkOptionalString(e, 'reason');
      break;
    case 'phase':
      if (typeof e.phase !== 'string' || !PHASE_SET.has(e.phase)) {
        throw new LineError(`"phase" must be one of ${PHASES.join(', ')}`);
      }
      break;
    case 'append':
    case 'apply':
    case 'query':
    case 'state':
      checkEventSourcing(e, f, type);
      break;
  }
  return e as HistoryEvent;
}

/** Event sourcing's operations (docs/semantics.md "Event sourcing and CQRS"). */
function checkEventSourcing(e: Record<string, unknown>, f: string, type: string) {
  if (f === 'state') {
    // Only a stream's read-back (or its marker) is event sourcing's; other state is not checked here.
    if (e.stream === undefined && e.streams === undefined) return;
    checkOptionalString(e, 'group');
    if (e.streams !== undefined) checkCount(e, 'streams');
    if (e.stream !== undefined) {
      checkName(e, 'stream', 'a state event');
      checkVersion(e, 'a state event with a "stream"', 0, true);
      checkOptionalString(e, 'digest');
    }
    return;
  }
  if (f !== 'query') {
    const id = e.id;
    if (typeof id === 'number' && Number.isInteger(id)) e.id = String(id);
    else if (typeof id !== 'string' || id === '') throw new LineError(`an ${f} event needs an "id" (string)`);
  }
  checkOptionalString(e, 'group');
  if (f !== 'append' && e.group === REPLAY_GROUP) {
    throw new LineError(
      `"group" "${REPLAY_GROUP}" is reserved for the state rebuilt from the store; give the projection another name`,
    );
  }
  checkOptionalString(e, 'error');
  if (f === 'append') {
    checkName(e, 'stream', 'an append event');
    const x = e.expected;
    const valid = x === 'any' || (typeof x === 'number' && Number.isInteger(x) && x >= 0);
    if ((type === 'invoke' || x !== undefined) && !valid) {
      throw new LineError(
        `${type === 'invoke' ? 'an append invoke needs' : 'an append event may carry'} "expected": a stream version (integer ≥ 0) or "any"`,
      );
    }
    checkVersion(e, `an append ${type}`, 1, type === 'ok');
  } else if (f === 'apply') {
    checkName(e, 'stream', 'an apply event');
    checkVersion(e, 'an apply event', 1, true);
  } else {
    if (type === 'ok') checkName(e, 'stream', 'a query ok');
    else if (e.stream !== undefined) checkName(e, 'stream', 'a query event');
    checkVersion(e, `a query ${type}`, 0, type === 'ok');
  }
}
function checkName(e: Record<string, unknown>, field: string, what: string) {
  if (typeof e[field] !== 'string' || e[field] === '')
    throw new LineError(`${what} needs a "${field}" (string)`);
}
function checkVersion(e: Record<string, unknown>, what: string, min: number, required: boolean) {
  const v = e.version;
  if (v === undefined && !required) return;
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) {
    throw new LineError(`${what} needs a "version" (integer ≥ ${min})`);
  }
}

function checkPartition(e: Record<string, unknown>) {
  if (e.partition !== undefined && !(typeof e.partition === 'number' && Number.isInteger(e.partition))) {
    throw new LineError('"partition" must be an integer');
  }
}
function checkOptionalString(e: Record<string, unknown>, field: string) {
  if (e[field] !== undefined && typeof e[field] !== 'string')
    throw new LineError(`"${field}" must be a string`);
}
function checkCount(e: Record<string, unknown>, field: string) {
  const v = e[field];
  if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
    throw new LineError(`"${field}" must be a non-negative integer`);
  }
}

/**
 * The checks of `validateEvent` whose outcome depends on a message event's values, for a line of a
 * shape (keys, value types, `type`, `f`, booleans) that already passed `validateEvent` whole: the
 * history scanner's templates (core/event-scanner.ts). Conservative: anything it does not accept
 * (an empty string, a negative number, an integer id or key that validateEvent would turn into a
 * string) goes to `validateEvent`, which decides — and words the error — as for any other line.
 */
export function plainMessageValues(e: ScannedEvent, previousIndex: number): boolean {
  const { i, t, p, id, dest, key, deliveryCount } = e;
  return (
    typeof i === 'number' &&
    i > previousIndex &&
    i >= 0 &&
    typeof t === 'number' &&
    t >= 0 &&
    typeof p === 'string' &&
    p !== '' &&
    typeof id === 'string' &&
    id !== '' &&
    (dest === undefined || (typeof dest === 'string' && dest !== '')) &&
    (key === undefined || typeof key === 'string') &&
    (deliveryCount === undefined || (typeof deliveryCount === 'number' && deliveryCount >= 0))
  );
}
