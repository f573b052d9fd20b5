/**
 * The checker's fast path through a history: a scanner for the flat lines the writer produces
 * (`{"i":…,"t":…,"p":"…",…}`: string, integer, boolean or null values, known message-event keys).
 * It fills one reused record instead of JSON.parse building an object per line, which is where a
 * reader of 10^7 events spent its time. Anything unusual — an escape in a string, a float, a nested
 * value, whitespace, an unknown key — makes it give up, and the reader parses that line with
 * JSON.parse and validates it in full; a line it accepts is validated by the same `validateEvent`.
 *
 * Lines come in a few shapes (a deliver line is always the same keys with the same `type` and `f`).
 * A line scanned key by key teaches its shape as a template: the literal text between the values
 * that vary. A later line of that shape is matched literal by literal (one native comparison each),
 * with only its values read; the templates tried are those that followed the previous line's shape
 * before, which in a history are right most of the time.
 */

import { MESSAGE_OPERATIONS } from './events.ts';
import {
  APPLIED,
  DELIVERY_COUNT,
  DEST,
  ERROR,
  F,
  GROUP,
  I,
  ID,
  KEY,
  OFFSET,
  ownString,
  P,
  PARTITION,
  POISON,
  REASON,
  REDELIVERED,
  REQUEUE,
  SCANNED_FIELDS,
  ScannedEvent,
  store,
  T,
  TXN,
  TYPE,
} from './scanned-event.ts';

const QUOTE = 34;
const COMMA = 44;
const CLOSE = 125;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;

const MESSAGE_OPERATION_SET: ReadonlySet<string> = MESSAGE_OPERATIONS;
/** `"name":` for each field, matched in one comparison. */
const KEY_PATTERNS = SCANNED_FIELDS.map((name) => `"${name}":`);
// Values of `type` and `f`, returned as constants so the common lines allocate only their ids.
const TYPES = ['invoke', 'ok', 'fail', 'info'];
const OPERATIONS = ['send', 'deliver', 'process', 'ack', 'nack', 'dlq', 'effect'];
/**
 * What JSON forbids raw in a string, or escapes, and any byte ≥ 0x80 (the text is the bytes as
 * Latin-1; the slow path decodes such a line as UTF-8): such a line goes the slow way.
 */
const SPECIAL = /[\\\x00-\x09\x0b-\x1f\x80-\uffff]/g;
/** Shapes learnt at most (a history has a handful; a hostile one must not grow memory). */
const MAX_TEMPLATES = 256;
const MAX_VALUES = 32;
/** Successors tried per template before scanning key by key. */
const MAX_SUCCESSORS = 4;

/** A line shape: literals around the values that vary; `type`, `f` and booleans are in the literals. */
interface Template {
  /** The whole line: the literals, with a JSON integer or a plain string in each value's place. */
  readonly shape: RegExp;
  /** `literals[k]` comes before value k; the last one ends the line. */
  readonly literals: string[];
  readonly fields: number[];
  readonly isString: boolean[];
  /** Values written in the literals, stored on a match: [field, value, field, value, …]. */
  readonly constants: unknown[];
  /** Templates of the lines that followed one of this shape, most recent first. */
  readonly next: Template[];
  /** A message operation's shape (its `f`, a constant, is one). */
  readonly message: boolean;
}

/** Scans the lines of one chunk of history text at a time into `event`. */
export class LineScanner {
  readonly event = new ScannedEvent();
  /**
   * The last line scanned matched a template of a message operation: a shape learnt from an
   * earlier line, which passed validation (a line that fails it ends the read), so only the values
   * that vary are left to check (`plainMessageValues`).
   */
  known = false;
  private text = '';
  /** Position of the next special character at or after the last place asked about. */
  private special = -1;
  /** The last string seen per field: consecutive lines mostly repeat process, id, group, dest. */
  private readonly last: string[] = SCANNED_FIELDS.map(() => '');
  private number = 0;
  private readonly templates = new Map<string, Template>();
  private previous: Template | undefined;
  // Where the key-by-key scan found the varying values (to learn a template from).
  private readonly valueStart = new Int32Array(MAX_VALUES);
  private readonly valueEnd = new Int32Array(MAX_VALUES);
  private readonly valueField = new Int32Array(MAX_VALUES);
  private values = 0;
  private readonly constants: unknown[] = [];

  /** The chunk the next `scan` calls read. */
  setText(text: string): void {
    this.text = text;
    this.special = -1;
  }

  /**
   * Scans `[start, end)` of the chunk (one line, no newline) into `event`. Returns false when the
   * line is not one of the plain shapes; `event` is then in an unspecified state and the caller
   * parses the line the slow way. Never throws.
   */
  scan(start: number, end: number): boolean {
    const previous = this.previous;
    if (previous) {
      const next = previous.next;
      for (let k = 0; k < next.length; k++) {
        const candidate = next[k]!;
        if (this.match(candidate, start, end)) {
          this.known = candidate.message;
          // A successor that matched moves up one place: the common ones end up tried first.
          if (k > 0) {
            next[k] = next[k - 1]!;
            next[k - 1] = candidate;
          }
          this.previous = candidate;
          return true;
        }
      }
    }
    this.known = false;
    if (!this.scanKeys(start, end)) {
      this.previous = undefined;
      return false;
    }
    const template = this.learn(start, end);
    if (previous && template) {
      previous.next.unshift(template);
      if (previous.next.length > MAX_SUCCESSORS) previous.next.pop();
    }
    this.previous = template;
    return true;
  }

  private match(template: Template, start: number, end: number): boolean {
    const text = this.text;
    // The whole line is checked by one native regular-expression match; only then are the values
    // read, at positions the literals' lengths give.
    const shape = template.shape;
    shape.lastIndex = start;
    if (!shape.test(text) || shape.lastIndex !== end) return false;
    const { literals, fields, isString } = template;
    const into = this.event;
    into.reset();
    let pos = start;
    for (let k = 0; k < fields.length; k++) {
      pos += literals[k]!.length;
      if (isString[k]) {
        // The match vouched for a plain string up to the next quote; values are short, so a
        // loop here costs less than a call to indexOf.
        let to = pos;
        while (text.charCodeAt(to) !== QUOTE) to++;
        store(into, fields[k]!, text.slice(pos, to));
        pos = to;
      } else {
        pos = this.integer(pos, end);
        store(into, fields[k]!, this.number);
      }
    }
    const constants = template.constants;
    for (let k = 0; k < constants.length; k += 2) store(into, constants[k] as number, constants[k + 1]);
    return true;
  }

  /** Key by key; notes where the varying values are, for `learn`. */
  private scanKeys(start: number, end: number): boolean {
    const text = this.text;
    const into = this.event;
    if (end - start < 2 || text.charCodeAt(start) !== 123 /* { */) return false;
    into.reset();
    this.values = 0;
    this.constants.length = 0;
    let pos = start + 1;
    for (;;) {
      const field = fieldAt(text, pos);
      if (field < 0) return false;
      pos += KEY_PATTERNS[field]!.length;
      const c = text.charCodeAt(pos);
      let value: unknown;
      if (c === QUOTE) {
        const from = pos + 1;
        const to = text.indexOf('"', from);
        if (to < 0 || to >= end || this.nextSpecial(from) < to) return false;
        if (field === TYPE || field === F) {
          value = constant(field === TYPE ? TYPES : OPERATIONS, text, from, to);
          this.constants.push(field, value);
        } else {
          value = this.string(field, from, to);
          this.noteValue(field, from, to);
        }
        pos = to + 1;
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        const to = this.integer(pos, end);
        if (to < 0) return false;
        value = this.number;
        this.noteValue(field, pos, to);
        pos = to;
      } else {
        value = c === 116 ? true : c === 102 ? false : null;
        const word = c === 116 ? 'true' : c === 102 ? 'false' : 'null';
        if (!text.startsWith(word, pos)) return false;
        this.constants.push(field, value);
        pos += word.length;
      }
      store(into, field, value);
      const next = text.charCodeAt(pos);
      if (next === COMMA) pos++;
      else return next === CLOSE && pos + 1 === end;
    }
  }

  private noteValue(field: number, from: number, to: number): void {
    // More values than the template can hold: the line still scans, it just teaches nothing.
    if (this.values < MAX_VALUES) {
      this.valueStart[this.values] = from;
      this.valueEnd[this.values] = to;
      this.valueField[this.values] = field;
    }
    this.values++;
  }

  /** The template of the line just scanned key by key (a known one, or a new one). */
  private learn(start: number, end: number): Template | undefined {
    if (this.values > MAX_VALUES) return undefined;
    const text = this.text;
    const literals: string[] = [];
    const fields: number[] = [];
    const isString: boolean[] = [];
    let pos = start;
    for (let k = 0; k < this.values; k++) {
      const from = this.valueStart[k]!;
      literals.push(text.slice(pos, from));
      fields.push(this.valueField[k]!);
      isString.push(text.charCodeAt(from - 1) === QUOTE);
      pos = this.valueEnd[k]!;
    }
    literals.push(text.slice(pos, end));
    const name = literals.join('\u0000');
    const known = this.templates.get(name);
    if (known || this.templates.size >= MAX_TEMPLATES) return known;
    const template: Template = {
      shape: shapeOf(literals, isString),
      literals: literals.map(ownString),
      fields,
      isString,
      constants: this.constants.map((v) => (typeof v === 'string' ? ownString(v) : v)),
      next: [],
      message: MESSAGE_OPERATION_SET.has(this.event.f as string),
    };
    this.templates.set(ownString(name), template);
    return template;
  }

  /**
   * An integer at `pos` into `this.number`; returns where it ends, or -1 for no digits, a leading
   * zero, or more digits than a double holds exactly (such a number goes the slow way).
   */
  private integer(pos: number, end: number): number {
    const text = this.text;
    const negative = text.charCodeAt(pos) === MINUS;
    let p = negative ? pos + 1 : pos;
    const digitsStart = p;
    let n = 0;
    while (p < end) {
      const d = text.charCodeAt(p);
      if (d < ZERO || d > NINE) break;
      n = n * 10 + (d - ZERO);
      p++;
    }
    const digits = p - digitsStart;
    if (digits === 0 || digits > 15 || (digits > 1 && text.charCodeAt(digitsStart) === ZERO)) return -1;
    this.number = negative ? -n : n;
    return p;
  }

  private nextSpecial(from: number): number {
    if (this.special < from) {
      SPECIAL.lastIndex = from;
      const found = SPECIAL.exec(this.text);
      this.special = found ? found.index : this.text.length;
    }
    return this.special;
  }

  private string(field: number, from: number, to: number): string {
    const last = this.last[field]!;
    if (last.length === to - from && this.text.startsWith(last, from)) return last;
    const value = this.text.slice(from, to);
    this.last[field] = value;
    return value;
  }
}

/** A sticky regular expression for a line of this shape (see `integer` and `nextSpecial`). */
function shapeOf(literals: readonly string[], isString: readonly boolean[]): RegExp {
  const quote = (literal: string) => literal.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  let source = quote(literals[0]!);
  for (let k = 0; k < isString.length; k++) {
    source += isString[k] ? '[^"\\\\\\x00-\\x1f\\x80-\\uffff]*' : '-?(?:0|[1-9][0-9]{0,14})';
    source += quote(literals[k + 1]!);
  }
  return new RegExp(source, 'y');
}

/**
 * The field whose `"name":` starts at `pos` (-1: none of them), told apart by its first letters and
 * then compared whole, without making a string of the key.
 */
function fieldAt(text: string, pos: number): number {
  const c2 = text.charCodeAt(pos + 2);
  let field: number;
  switch (text.charCodeAt(pos + 1)) {
    case 105 /* i */:
      field = c2 === QUOTE ? I : ID;
      break;
    case 116 /* t */:
      field = c2 === QUOTE ? T : c2 === 121 /* y */ ? TYPE : TXN;
      break;
    case 112 /* p */:
      field = c2 === QUOTE ? P : c2 === 111 /* o */ ? POISON : PARTITION;
      break;
    case 102 /* f */:
      field = F;
      break;
    case 103 /* g */:
      field = GROUP;
      break;
    case 100 /* d */:
      field = text.charCodeAt(pos + 3) === 115 /* s */ ? DEST : DELIVERY_COUNT;
      break;
    case 107 /* k */:
      field = KEY;
      break;
    case 111 /* o */:
      field = OFFSET;
      break;
    case 101 /* e */:
      field = ERROR;
      break;
    case 114 /* r */:
      {
        const c3 = text.charCodeAt(pos + 3);
        field = c3 === 100 /* d */ ? REDELIVERED : c3 === 113 /* q */ ? REQUEUE : REASON;
        break;
      }
    case 97 /* a */:
      field = APPLIED;
      break;
    default:
      return -1;
  }
  return text.startsWith(KEY_PATTERNS[field]!, pos) ? field : -1;
}

function constant(values: readonly string[], text: string, start: number, end: number): string {
  const length = end - start;
  for (const v of values) if (v.length === length && text.startsWith(v, start)) return v;
  return text.slice(start, end);
}
