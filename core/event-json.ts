/**
 * The JSON of an event on the recording hot path (every send, delivery, process and ack), built
 * from its known fields instead of by JSON.stringify, which cost about twice as much per event. The
 * text is exactly JSON.stringify's: an event is written this way only when its keys are the known
 * ones for its operation, in the known order, with values of the known types; any other event
 * (extra fields, nested values, another order) goes to JSON.stringify.
 */

/** How a field's value is written; a value of another type sends the event to JSON.stringify. */
const STRING = 1;
const NUMBER = 2;
const BOOLEAN = 4;

interface Shape {
  readonly keys: readonly string[];
  readonly kinds: readonly number[];
  /** `"key":` for each key, written once. */
  readonly prefixes: readonly string[];
}

function shape(fields: [string, number][]): Shape {
  return {
    keys: fields.map(([k]) => k),
    kinds: fields.map(([, kind]) => kind),
    prefixes: fields.map(([k]) => `${JSON.stringify(k)}:`),
  };
}

const HEAD: [string, number][] = [
  ['p', STRING],
  ['type', STRING],
  ['f', STRING],
  ['id', STRING | NUMBER],
];
/** The fields each hot operation may have, in the order the recording clients build them. */
const SHAPES: Record<string, Shape> = {
  deliver: shape([
    ...HEAD,
    ['group', STRING],
    ['dest', STRING],
    ['partition', NUMBER],
    ['offset', STRING | NUMBER],
    ['redelivered', BOOLEAN],
    ['deliveryCount', NUMBER],
  ]),
  process: shape([...HEAD, ['group', STRING]]),
  ack: shape([...HEAD, ['group', STRING], ['error', STRING]]),
  send: shape([
    ...HEAD,
    ['dest', STRING],
    ['key', STRING],
    ['poison', BOOLEAN],
    ['partition', NUMBER],
    ['offset', STRING | NUMBER],
    ['error', STRING],
  ]),
};

/** Characters JSON.stringify escapes (lone surrogates too; a pair is left to it as well). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify writes the string as it is, between quotes: no quote, backslash, control character (tab, newline) or surrogate in it. */
export function isPlainJsonString(s: string): boolean {
  return !NEEDS_ESCAPE.test(s);
}

/** A string as JSON.stringify writes it. */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** JSON.stringify(event), faster for the hot operations' events. */
export function eventJson(event: object): string {
  const f = (event as { f?: unknown }).f;
  // Own keys only, as JSON.stringify: anything but a plain object goes to it.
  const shape =
    typeof f === 'string' && Object.getPrototypeOf(event) === Object.prototype ? SHAPES[f] : undefined;
  return (shape && written(event as Record<string, unknown>, shape)) ?? JSON.stringify(event);
}

/** The event written by its shape, or undefined when it does not fit the shape. */
function written(event: Record<string, unknown>, shape: Shape): string | undefined {
  const { keys, kinds, prefixes } = shape;
  let out = '';
  let at = 0;
  for (const key in event) {
    // Keys must come in the shape's order, each at most once, some left out.
    while (at < keys.length && keys[at] !== key) at++;
    if (at === keys.length) return undefined;
    const value = event[key];
    const kind = kinds[at]!;
    let text: string;
    if (typeof value === 'string' && kind & STRING) text = jsonString(value);
    else if (typeof value === 'number' && kind & NUMBER && Number.isFinite(value)) text = `${value}`;
    else if (typeof value === 'boolean' && kind & BOOLEAN) text = value ? 'true' : 'false';
    else if (value === undefined) {
      at++;
      continue; // JSON.stringify leaves out undefined values
    } else return undefined;
    out += out.length === 0 ? prefixes[at]! + text : `,${prefixes[at]!}${text}`;
    at++;
  }
  return `{${out}}`;
}
