import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forEachHistoryEvent, readHistory, validateEvent } from '../../core/history-reader.ts';

// The reader's fast path (core/event-scanner.ts) must read every line exactly as JSON.parse plus
// validateEvent would, and hand anything unusual to them: these lines are read both ways.

const write = (lines: string[]) => {
  const file = join(mkdtempSync(join(tmpdir(), 'bp-scan-')), 'h.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
};

/** What JSON.parse + validateEvent make of the lines (an error: its message). */
function reference(lines: string[]): unknown[] {
  let previous = -1;
  return lines.map((text) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return `malformed JSON: ${(error as Error).message}`;
    }
    try {
      const e = validateEvent(value, previous);
      previous = e.i;
      return e;
    } catch (error) {
      return (error as Error).message;
    }
  });
}

const deliver = (i: number, id: string) =>
  `{"i":${i},"t":${i * 10},"p":"consumer-0","type":"ok","f":"deliver","id":"${id}","group":"g","dest":"q","partition":1,"deliveryCount":1}`;

// Each tricky line follows lines of its shape, so it meets a learnt template first.
const tricky = [
  String.raw`"m\"q"`,
  String.raw`"m\\b"`,
  String.raw`"m\u0041"`,
  '"mé ☃ 🙂"',
  '"a-very-long-message-id-0123456789"',
  '""',
  '7',
  '-7',
  '1.5',
  '1e3',
  '007',
  '12345678901234567890',
  'true',
  'null',
  '{"nested":1}',
  '"tab\there"',
];

describe('history scanner', () => {
  it.each(tricky)('reads an id of %s as JSON.parse does', async (id) => {
    const lines = [
      deliver(0, 'a'),
      deliver(1, 'b'),
      deliver(2, 'c'),
      // From the third line of a shape on, it is matched as a learnt template.
      deliver(3, 'd').replace('"id":"d"', `"id":${id}`),
      deliver(4, 'e'),
    ];
    const expected = reference(lines);
    const firstError = expected.findIndex((e) => typeof e === 'string');
    const read = readHistory(write(lines));
    if (firstError < 0) expect((await read).events).toEqual(expected);
    else await expect(read).rejects.toThrow(`:${firstError + 1}: ${expected[firstError]}`);
  });

  it("tells a value from the previous line's apart by any one byte", async () => {
    // A value that repeats the previous line's is compared 4 bytes at a time: every length, every place.
    for (let length = 1; length <= 14; length++) {
      const id = 'abcdefghijklmn'.slice(0, length);
      for (let at = 0; at < length; at++) {
        const other = `${id.slice(0, at)}Z${id.slice(at + 1)}`;
        const lines = [deliver(0, id), deliver(1, id), deliver(2, id), deliver(3, other), deliver(4, id)];
        const { events } = await readHistory(write(lines));
        expect(events.map((e) => ('id' in e ? e.id : undefined))).toEqual([id, id, id, other, id]);
        expect(events).toEqual(reference(lines));
      }
    }
  });

  it('reads numbers of any length, 4 digits at a time where it can, as JSON.parse does', async () => {
    // Every length to past 15 digits; a leading zero; a byte next to '0'–'9' at each place.
    const values = Array.from({ length: 17 }, (_, k) => '12345678901234567'.slice(0, k + 1));
    values.push('01234567', '-12345678');
    for (let at = 0; at <= 8; at++) {
      for (const c of ['/', ':', '.', 'e', ' '])
        values.push(`${'98765432'.slice(0, at)}${c}${'98765432'.slice(at)}`);
    }
    for (const t of values) {
      const lines = [
        deliver(0, 'a'),
        deliver(1, 'b'),
        deliver(2, 'c').replace('"t":20', `"t":${t}`),
        deliver(3, 'd'),
      ];
      const expected = reference(lines);
      const firstError = expected.findIndex((e) => typeof e === 'string');
      const read = readHistory(write(lines));
      if (firstError < 0) expect((await read).events).toEqual(expected);
      else await expect(read).rejects.toThrow(`:${firstError + 1}: ${expected[firstError]}`);
    }
  });

  it.each([
    ['whitespace', (l: string) => l.replace('"t":', '"t": ')],
    ['an unknown key', (l: string) => l.replace('"group":"g"', '"group":"g","extra":[1,2]')],
    ['a duplicate key', (l: string) => l.replace('"group":"g"', '"group":"g","group":"h"')],
    ['a negative t', (l: string) => l.replace('"t":20', '"t":-20')],
    ['a float t', (l: string) => l.replace('"t":20', '"t":20.5')],
    ['keys in another order', (l: string) => l.replace('"p":"consumer-0",', '').replace('}', ',"p":"c1"}')],
    [
      'a poison send',
      () => '{"i":2,"t":20,"p":"w","type":"invoke","f":"send","id":"x","dest":"q","poison":true}',
    ],
    ['a wrong type', (l: string) => l.replace('"type":"ok"', '"type":"invoke"')],
    ['a string partition', (l: string) => l.replace('"partition":1', '"partition":"1"')],
    ['an empty process', (l: string) => l.replace('"p":"consumer-0"', '"p":""')],
    ['trailing text', (l: string) => `${l} x`],

    ['a cut line', (l: string) => l.slice(0, 40)],
  ])('reads a line with %s as JSON.parse does', async (_, change) => {
    const lines = [deliver(0, 'a'), deliver(1, 'b'), change(deliver(2, 'c')), deliver(3, 'd')];
    const expected = reference(lines);
    const firstError = expected.findIndex((e) => typeof e === 'string');
    const read = readHistory(write(lines));
    if (firstError < 0) expect((await read).events).toEqual(expected);
    else await expect(read).rejects.toThrow(`:${firstError + 1}: ${expected[firstError]}`);
  });

  // A shape matched as a learnt template (from the third line of it on) leaves only its values to
  // check: each value the shape does not vouch for must still be checked line by line.
  it.each([
    ['an index going back', (l: string) => l.replace('"i":4', '"i":3')],
    ['a negative index', (l: string) => l.replace('"i":4', '"i":-4')],
    ['a negative t', (l: string) => l.replace('"t":40', '"t":-40')],
    ['an empty process', (l: string) => l.replace('"p":"consumer-0"', '"p":""')],
    ['an empty id', (l: string) => l.replace('"id":"e"', '"id":""')],
    ['an integer id', (l: string) => l.replace('"id":"e"', '"id":5')],
    ['an empty dest', (l: string) => l.replace('"dest":"q"', '"dest":""')],
    ['a negative deliveryCount', (l: string) => l.replace('"deliveryCount":1', '"deliveryCount":-1')],
    ['an empty group', (l: string) => l.replace('"group":"g"', '"group":""')],
  ])('checks a templated line with %s as validateEvent does', async (_, change) => {
    const lines = ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => deliver(i, id));
    lines[4] = change(lines[4]!);
    expect(lines[4]).not.toBe(deliver(4, 'e'));
    const expected = reference(lines);
    const firstError = expected.findIndex((e) => typeof e === 'string');
    const read = readHistory(write(lines));
    if (firstError < 0) expect((await read).events).toEqual(expected);
    else await expect(read).rejects.toThrow(`:${firstError + 1}: ${expected[firstError]}`);
  });

  it.each([
    ['an integer key', '5'],
    ['an empty key', '""'],
    ['a null key', 'null'],
  ])('reads a send with %s as JSON.parse does', async (_, key) => {
    const send = (i: number, k: string) =>
      `{"i":${i},"t":${i},"p":"producer-0","type":"invoke","f":"send","id":"m${i}","dest":"q","key":${k}}`;
    const lines = [
      send(0, '"a"'),
      send(1, '"b"'),
      send(2, '"c"'),
      send(3, key),
      send(4, '"e"'),
      send(5, key),
    ];
    expect((await readHistory(write(lines))).events).toEqual(reference(lines));
  });

  it('hands a transient reader the same events, and a fresh object for the rest', async () => {
    const lines = [
      deliver(0, 'a'),
      '{"i":1,"t":1,"p":"nemesis","type":"info","f":"crash","target":"consumer-0"}',
      deliver(2, 'b'),
    ];
    const seen: unknown[] = [];
    const kept: unknown[] = [];
    await forEachHistoryEvent(
      write(lines),
      (e) => {
        seen.push(JSON.parse(JSON.stringify(e)));
        kept.push(e);
      },
      { transient: true },
    );
    expect(seen).toEqual(reference(lines));
    // The crash event is not the reused record: a consumer may keep it.
    expect(kept[1]).toEqual(reference(lines)[1]);
  });
});
