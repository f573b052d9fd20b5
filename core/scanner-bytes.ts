/**
 * Byte-level helpers of the history scanner (core/event-scanner.ts): which known key starts at a
 * place in a line, and the strings of values read from bytes, remembered so that the values lines
 * repeat (processes, groups, destinations, the id of consecutive events) cost no allocation.
 */

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
  P,
  PARTITION,
  POISON,
  REASON,
  REDELIVERED,
  REQUEUE,
  SCANNED_FIELDS,
  T,
  TXN,
  TYPE,
} from './scanned-event.ts';

const QUOTE = 34;
/** Strings remembered by their bytes (a power of two). */
const STRING_SLOTS = 512;
/** Longest string remembered so. */
const SLOT_BYTES = 32;

export const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
/** `"name":` for each field, matched whole. */
export const KEY_PATTERNS = SCANNED_FIELDS.map((name) => ascii(`"${name}":`));

/** The strings of values read from one chunk of bytes at a time. */
export class ByteStrings {
  private bytes: Buffer = Buffer.alloc(0);
  private view = new DataView(this.bytes.buffer, 0, 0);
  // Per field, the last string value and a copy of its bytes (length -1: none, or too long to keep).
  private readonly lastString: string[] = SCANNED_FIELDS.map(() => '');
  private readonly lastLength = new Int32Array(SCANNED_FIELDS.length).fill(-1);
  private readonly lastBytes = new Uint8Array(SCANNED_FIELDS.length * SLOT_BYTES);
  private readonly lastView = new DataView(this.lastBytes.buffer);
  // Strings met recently, by a hash of their bytes, which are kept beside them.
  private readonly slots: string[] = new Array<string>(STRING_SLOTS).fill('');
  private readonly slotBytes = new Uint8Array(STRING_SLOTS * SLOT_BYTES);

  setBytes(bytes: Buffer): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /**
   * Where the string at `pos` ends (its closing quote) when it repeats `field`'s last value, else
   * -1: most values repeat the previous line's (its process, id, group, destination), and such a
   * value needs neither a search for its end nor a check of its bytes, which were plain before.
   * The compare stops at the chunk's final newline at the latest, which no kept value contains.
   */
  repeatAt(field: number, pos: number): number {
    const length = this.lastLength[field]!;
    const bytes = this.bytes;
    if (length < 0 || pos + length >= bytes.length) return -1;
    const at = field * SLOT_BYTES;
    if (length >= 4) {
      // 4 bytes at a time, the last word overlapping the one before when the length is no multiple of 4.
      const view = this.view;
      const last = this.lastView;
      const tail = length - 4;
      for (let k = 0; k < tail; k += 4)
        if (view.getInt32(pos + k, true) !== last.getInt32(at + k, true)) return -1;
      if (view.getInt32(pos + tail, true) !== last.getInt32(at + tail, true)) return -1;
    } else {
      const last = this.lastBytes;
      for (let k = 0; k < length; k++) if (bytes[pos + k] !== last[at + k]) return -1;
    }
    return bytes[pos + length] === QUOTE ? pos + length : -1;
  }

  /** `field`'s last string value (the one `repeatAt` found again). */
  last(field: number): string {
    return this.lastString[field]!;
  }

  /**
   * The string of `field`'s ASCII bytes `[from, to)`. The field's value on the previous line that
   * had it, or a string met recently (found by a hash of its bytes), is returned again: the lines'
   * repeated values cost no allocation.
   */
  string(field: number, from: number, to: number): string {
    const bytes = this.bytes;
    const length = to - from;
    if (length === this.lastLength[field] && this.repeatAt(field, from) === to)
      return this.lastString[field]!;
    let value: string | undefined;
    if (length <= SLOT_BYTES) {
      let hash = length;
      for (let k = from; k < to; k++) hash = (Math.imul(hash, 31) + bytes[k]!) | 0;
      const slot = (hash ^ (hash >>> 11)) & (STRING_SLOTS - 1);
      const known = this.slots[slot]!;
      const at = slot * SLOT_BYTES;
      const slotBytes = this.slotBytes;
      if (known.length === length) {
        let k = 0;
        while (k < length && slotBytes[at + k] === bytes[from + k]) k++;
        if (k === length) value = known;
      }
      if (value === undefined) {
        // A fresh string (not a view into a larger one), so it may be kept.
        value = bytes.toString('latin1', from, to);
        this.slots[slot] = value;
        for (let k = 0; k < length; k++) slotBytes[at + k] = bytes[from + k]!;
      }
      const lastAt = field * SLOT_BYTES;
      for (let k = 0; k < length; k++) this.lastBytes[lastAt + k] = bytes[from + k]!;
      this.lastLength[field] = length;
    } else {
      value = bytes.toString('latin1', from, to);
      this.lastLength[field] = -1;
    }
    this.lastString[field] = value;
    return value;
  }
}

/** Whether `word` is at `pos`, within `[pos, end)`. */
export function bytesAt(bytes: Uint8Array, pos: number, end: number, word: Uint8Array): boolean {
  if (pos + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (bytes[pos + k] !== word[k]) return false;
  return true;
}

/**
 * The field whose `"name":` starts at `pos` (-1: none of them), told apart by its first letters and
 * then compared whole, without making a string of the key.
 */
export function fieldAt(bytes: Uint8Array, pos: number, end: number): number {
  const c2 = bytes[pos + 2];
  let field: number;
  switch (bytes[pos + 1]) {
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
      field = bytes[pos + 3] === 115 /* s */ ? DEST : DELIVERY_COUNT;
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
        const c3 = bytes[pos + 3];
        field = c3 === 100 /* d */ ? REDELIVERED : c3 === 113 /* q */ ? REQUEUE : REASON;
        break;
      }
    case 97 /* a */:
      field = APPLIED;
      break;
    default:
      return -1;
  }
  return bytesAt(bytes, pos, end, KEY_PATTERNS[field]!) ? field : -1;
}
