/**
 * The checker's fast path through a history: a scanner for the flat lines the writer produces
 * (`{"i":…,"t":…,"p":"…",…}`: string, integer, boolean or null values, known message-event keys),
 * reading the file's bytes directly. It fills one reused record instead of JSON.parse building an
 * object per line, which is where a reader of 10^7 events spent its time. Anything unusual — an
 * escape or a byte ≥ 0x80 in a string, a float, a nested value, whitespace, an unknown key — makes
 * it give up, and the reader parses that line with JSON.parse and validates it in full; a line it
 * accepts is validated by the same `validateEvent`.
 *
 * Lines come in a few shapes (a deliver line is always the same keys with the same `type` and `f`).
 * A line scanned key by key teaches its shape as a template: the literal bytes between the values
 * that vary. A later line of that shape is matched literal byte by literal byte, with only its
 * values read, and the template finds the line's end without a search for the newline. The
 * templates tried are those that followed the previous line's shape before, which in a history are
 * right most of the time.
 *
 * The bytes handed to the scanner must end with a newline: every loop stops at it (a newline is no
 * digit, a control character in a string, and in no literal), so none needs a bounds check.
 */

import { MESSAGE_OPERATIONS } from './events.ts';
import { F, ScannedEvent, store, TYPE } from './scanned-event.ts';
import { ascii, ByteStrings, bytesAt, fieldAt, KEY_PATTERNS } from './scanner-bytes.ts';

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const OPEN = 123;
const CLOSE = 125;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;
const NEWLINE = 10;
const RETURN = 13;

const MESSAGE_OPERATION_SET: ReadonlySet<string> = MESSAGE_OPERATIONS;
// Values of `type` and `f`, returned as constants so the common lines allocate only their ids.
const TYPES = ['invoke', 'ok', 'fail', 'info'];
const OPERATIONS = ['send', 'deliver', 'process', 'ack', 'nack', 'dlq', 'effect'];
const WORDS = [ascii('true'), ascii('false'), ascii('null')];
/** Shapes learnt at most (a history has a handful; a hostile one must not grow memory). */
const MAX_TEMPLATES = 256;
const MAX_VALUES = 32;
/** Successors tried per template before scanning key by key. */
const MAX_SUCCESSORS = 4;

/** A line shape: literals around the values that vary; `type`, `f` and booleans are in the literals. */
interface Template {
  /** The literals' bytes one after another; literal k comes before value k, the last ends the line. */
  readonly literals: Uint8Array;
  /** Where literal k ends in `literals`. */
  readonly literalEnds: Int32Array;
  /**
   * Each literal of 4 bytes or more as 4-byte words (little-endian): its whole words, then, when its
   * length is no multiple of 4, the word that ends it (overlapping the one before). A shorter
   * literal is compared byte by byte.
   */
  readonly words: Int32Array;
  /** Where each word starts within its literal. */
  readonly wordOffsets: Int32Array;
  /** Where literal k's words end in `words`. */
  readonly wordEnds: Int32Array;
  readonly fields: Int32Array;
  /** 1: the value is a string (its literal ends in a quote); 0: an integer. */
  readonly isString: Uint8Array;
  /** Values written in the literals, stored on a match: [field, value, field, value, …]. */
  readonly constants: unknown[];
  /** Templates of the lines that followed one of this shape, most recent first. */
  readonly next: Template[];
  /** A message operation's shape (its `f`, a constant, is one). */
  readonly message: boolean;
}

/** Scans the lines of one chunk of history bytes at a time into `event`. */
export class LineScanner {
  readonly event = new ScannedEvent();
  /**
   * The last line scanned matched a template of a message operation: a shape learnt from an
   * earlier line, which passed validation (a line that fails it ends the read), so only the values
   * that vary are left to check (`plainMessageValues`).
   */
  known = false;
  private bytes: Buffer = Buffer.alloc(1, NEWLINE);
  private view = new DataView(this.bytes.buffer, this.bytes.byteOffset, 1);
  private number = 0;
  private readonly templates = new Map<string, Template>();
  private previous: Template | undefined;
  // Where the values are: found by a template match, or by the key-by-key scan (to learn from).
  private readonly valueStart = new Int32Array(MAX_VALUES);
  private readonly valueEnd = new Int32Array(MAX_VALUES);
  private readonly valueField = new Int32Array(MAX_VALUES);
  private values = 0;
  private readonly constants: unknown[] = [];
  private readonly strings = new ByteStrings();

  /** The chunk the next calls read; it ends with a newline. */
  setBytes(bytes: Buffer): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.strings.setBytes(bytes);
  }

  /**
   * The line at `start` as one of the templates that followed the previous line's shape. Returns
   * the end of the line's text (its newline, or the carriage return before one) with `event`
   * filled, or -1: then the caller finds the line's end and calls `scan`. Never throws.
   */
  matchNext(start: number): number {
    const previous = this.previous;
    if (previous === undefined) return -1;
    const next = previous.next;
    for (let k = 0; k < next.length; k++) {
      const candidate = next[k]!;
      const end = this.match(candidate, start);
      if (end >= 0) {
        this.known = candidate.message;
        // A successor that matched moves up one place: the common ones end up tried first.
        if (k > 0) {
          next[k] = next[k - 1]!;
          next[k - 1] = candidate;
        }
        this.previous = candidate;
        return end;
      }
    }
    return -1;
  }

  /**
   * Scans `[start, end)` (one line, no newline) key by key into `event` and learns its shape.
   * Returns false when the line is not one of the plain shapes; `event` is then in an unspecified
   * state and the caller parses the line the slow way. Never throws.
   */
  scan(start: number, end: number): boolean {
    const previous = this.previous;
    this.known = false;
    if (!this.scanKeys(start, end)) {
      this.previous = undefined;
      return false;
    }
    const template = this.learn(start, end);
    if (previous && template && !previous.next.includes(template)) {
      previous.next.unshift(template);
      if (previous.next.length > MAX_SUCCESSORS) previous.next.pop();
    }
    this.previous = template;
    return true;
  }

  /** The end of the line's text when the line at `start` has the template's shape, else -1. */
  private match(template: Template, start: number): number {
    const bytes = this.bytes;
    const view = this.view;
    const { literals, literalEnds, words, wordOffsets, wordEnds, isString, fields } = template;
    const count = fields.length;
    const into = this.event;
    const strings = this.strings;
    // Values are stored as they are read: a line that then fails to match leaves the record in an
    // unspecified state, which the caller may not read.
    into.reset();
    let pos = start;
    let at = 0;
    let word = 0;
    for (let k = 0; ; k++) {
      const literalEnd = literalEnds[k]!;
      const length = literalEnd - at;
      // A word read must stay inside the chunk; a line that short cannot match anyway.
      if (pos + length > bytes.length) return -1;
      const wordEnd = wordEnds[k]!;
      for (; word < wordEnd; word++) {
        if (view.getInt32(pos + wordOffsets[word]!, true) !== words[word]) return -1;
      }
      if (length < 4) {
        for (let j = 0; j < length; j++) if (bytes[pos + j] !== literals[at + j]) return -1;
      }
      pos += length;
      at = literalEnd;
      if (k === count) break;
      if (isString[k] === 1) {
        // The literal ended in the opening quote; the closing one follows a plain string.
        const field = fields[k]!;
        const repeated = strings.repeatAt(field, pos);
        if (repeated >= 0) {
          pos = repeated;
          store(into, field, strings.last(field));
          continue;
        }
        const from = pos;
        let b = bytes[pos]!;
        while (b !== QUOTE) {
          if (b < 0x20 || b === BACKSLASH || b >= 0x80) return -1;
          b = bytes[++pos]!;
        }
        store(into, field, strings.string(field, from, pos));
      } else {
        pos = this.integer(pos);
        if (pos < 0) return -1;
        store(into, fields[k]!, this.number);
      }
    }
    const last = bytes[pos];
    if (last !== NEWLINE && !(last === RETURN && bytes[pos + 1] === NEWLINE)) return -1;
    const constants = template.constants;
    for (let k = 0; k < constants.length; k += 2) store(into, constants[k] as number, constants[k + 1]);
    return pos;
  }

  /** Key by key; notes where the varying values are, for `learn`. */
  private scanKeys(start: number, end: number): boolean {
    const bytes = this.bytes;
    const into = this.event;
    if (end - start < 2 || bytes[start] !== OPEN) return false;
    into.reset();
    this.values = 0;
    this.constants.length = 0;
    let pos = start + 1;
    for (;;) {
      const field = fieldAt(bytes, pos, end);
      if (field < 0) return false;
      pos += KEY_PATTERNS[field]!.length;
      const c = bytes[pos]!;
      let value: unknown;
      if (c === QUOTE) {
        const from = pos + 1;
        let to = from;
        for (; to < end; to++) {
          const b = bytes[to]!;
          if (b === QUOTE) break;
          if (b < 0x20 || b === BACKSLASH || b >= 0x80) return false;
        }
        if (to >= end) return false;
        if (field === TYPE || field === F) {
          value = this.constant(field === TYPE ? TYPES : OPERATIONS, from, to);
          this.constants.push(field, value);
        } else {
          value = this.strings.string(field, from, to);
          this.noteValue(field, from, to);
        }
        pos = to + 1;
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        const to = this.integer(pos);
        if (to < 0 || to > end) return false;
        value = this.number;
        this.noteValue(field, pos, to);
        pos = to;
      } else {
        const w = c === 116 /* t */ ? 0 : c === 102 /* f */ ? 1 : 2;
        if (!bytesAt(bytes, pos, end, WORDS[w]!)) return false;
        value = w === 0 ? true : w === 1 ? false : null;
        this.constants.push(field, value);
        pos += WORDS[w]!.length;
      }
      store(into, field, value);
      const next = bytes[pos];
      if (next === COMMA && pos < end) pos++;
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
    const bytes = this.bytes;
    const count = this.values;
    const literalEnds = new Int32Array(count + 1);
    const pieces: Buffer[] = [];
    let length = 0;
    let pos = start;
    for (let k = 0; k <= count; k++) {
      const to = k < count ? this.valueStart[k]! : end;
      pieces.push(bytes.subarray(pos, to));
      length += to - pos;
      literalEnds[k] = length;
      if (k < count) pos = this.valueEnd[k]!;
    }
    const name = pieces.map((piece) => piece.toString('latin1')).join('\u0000');
    const known = this.templates.get(name);
    if (known || this.templates.size >= MAX_TEMPLATES) return known;
    const fields = this.valueField.slice(0, count);
    const template: Template = {
      // A copy: the chunk's buffer is not kept alive by a template.
      literals: Uint8Array.from(Buffer.concat(pieces, length)),
      literalEnds,
      ...wordsOf(pieces),
      fields,
      isString: Uint8Array.from(fields, (_, k) => (bytes[this.valueStart[k]! - 1] === QUOTE ? 1 : 0)),
      constants: [...this.constants],
      next: [],
      message: MESSAGE_OPERATION_SET.has(this.event.f as string),
    };
    this.templates.set(name, template);
    return template;
  }

  /**
   * An integer at `pos` into `this.number`; returns where it ends, or -1 for no digits, a leading
   * zero, or more digits than a double holds exactly (such a number goes the slow way).
   */
  private integer(pos: number): number {
    const bytes = this.bytes;
    const negative = bytes[pos] === MINUS;
    let p = negative ? pos + 1 : pos;
    const digitsStart = p;
    let n = 0;
    // Four digits at a time while the next 4 bytes are all digits (timestamps and indices have 7 or
    // more): a byte b is a digit when b & 0xF0 and (b + 6) & 0xF0 are both 0x30.
    const view = this.view;
    const limit = bytes.length - 4;
    while (p <= limit) {
      const word = view.getInt32(p, true);
      if ((word & 0xf0f0f0f0) !== 0x30303030 || ((word + 0x06060606) & 0xf0f0f0f0) !== 0x30303030) break;
      const x = word - 0x30303030;
      n = n * 10_000 + (x & 0xff) * 1000 + ((x >>> 8) & 0xff) * 100 + ((x >>> 16) & 0xff) * 10 + (x >>> 24);
      p += 4;
    }
    let d = bytes[p]!;
    while (d >= ZERO && d <= NINE) {
      n = n * 10 + (d - ZERO);
      d = bytes[++p]!;
    }
    const digits = p - digitsStart;
    if (digits === 0 || digits > 15 || (digits > 1 && bytes[digitsStart] === ZERO)) return -1;
    this.number = negative ? -n : n;
    return p;
  }

  private constant(values: readonly string[], from: number, to: number): string {
    const bytes = this.bytes;
    const length = to - from;
    for (const v of values) {
      if (v.length !== length) continue;
      let k = 0;
      while (k < length && v.charCodeAt(k) === bytes[from + k]) k++;
      if (k === length) return v;
    }
    return bytes.toString('latin1', from, to);
  }
}

/** The 4-byte words of each literal (see `Template.words`), little-endian as `DataView.getInt32(…, true)` reads them. */
function wordsOf(pieces: readonly Buffer[]): {
  words: Int32Array;
  wordOffsets: Int32Array;
  wordEnds: Int32Array;
} {
  const words: number[] = [];
  const wordOffsets: number[] = [];
  const wordEnds = new Int32Array(pieces.length);
  pieces.forEach((piece, k) => {
    const length = piece.length;
    if (length >= 4) {
      for (let at = 0; at + 4 <= length; at += 4) wordOffsets.push(at);
      if (length % 4 !== 0) wordOffsets.push(length - 4);
    }
    for (let w = words.length; w < wordOffsets.length; w++) words.push(piece.readInt32LE(wordOffsets[w]!));
    wordEnds[k] = words.length;
  });
  return { words: Int32Array.from(words), wordOffsets: Int32Array.from(wordOffsets), wordEnds };
}
