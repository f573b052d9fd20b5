import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachHistoryEvent, readHistoryBatches, validateEvent } from '../../core/history-reader.ts';

// The byte scanner matches a line against shapes learnt from earlier lines and finds the line's
// end on the way, in chunks of any size. Property: for histories of the writer's shapes with a few
// bytes changed anywhere (and chunks cut anywhere), the reader gives exactly what JSON.parse and
// validateEvent give: the same events, or the same first error on the same line.

const dir = mkdtempSync(join(tmpdir(), 'bp-scan-fuzz-'));
let files = 0;

const PROCESSES = ['producer-0', 'consumer-g0-1', 'c', 'a-rather-longer-process-name-0'];
const IDS = ['m0', 'm1', 'm12', 'm123456', 'x', 'message-with-a-long-id-0123456789'];
const GROUPS = ['g0', 'g1', 'default'];

function shape(kind: number, i: number, pick: (n: number) => number): string {
  // Long numbers too: the scanner reads 4 digits at a time.
  const head = `{"i":${i},"t":${i * 3 + pick(5)},"p":"${PROCESSES[pick(PROCESSES.length)]}"`;
  const id = IDS[pick(IDS.length)];
  const group = GROUPS[pick(GROUPS.length)];
  switch (kind) {
    case 0:
      return `${head},"type":"invoke","f":"send","id":"${id}","dest":"orders","key":"k${pick(20)}"}`;
    case 1:
      return `${head},"type":"ok","f":"send","id":"${id}","partition":${pick(12)},"offset":${pick(1000) * 100_003}}`;
    case 2:
      return `${head},"type":"ok","f":"deliver","id":"${id}","group":"${group}","dest":"orders","partition":${pick(12)},"deliveryCount":${pick(3) + 1}}`;
    case 3:
      return `${head},"type":"ok","f":"process","id":"${id}","group":"${group}"}`;
    default:
      return `${head},"type":"${pick(2) ? 'ok' : 'invoke'}","f":"ack","id":"${id}","group":"${group}"}`;
  }
}

const INSERTS = [
  '"',
  '\\',
  ' ',
  '\t',
  '0',
  '-',
  '.5',
  'e3',
  '9',
  '/',
  ',',
  '}',
  '{',
  ':',
  'é',
  '\u0000',
  '""',
  'null',
  'true',
];

/** What JSON.parse + validateEvent make of the lines after the meta line: events, or the first error. */
function reference(lines: string[]): { events: unknown[] } | { error: string } {
  let previous = -1;
  const events: unknown[] = [];
  for (let k = 1; k < lines.length; k++) {
    const text = lines[k]!.endsWith('\r') ? lines[k]!.slice(0, -1) : lines[k]!;
    if (text.length === 0 || (text.length < 3 && text.trim() === '')) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { error: `:${k + 1}: malformed JSON: ${(error as Error).message}` };
    }
    try {
      const e = validateEvent(value, previous);
      previous = e.i;
      events.push(e);
    } catch (error) {
      return { error: `:${k + 1}: ${(error as Error).message}` };
    }
  }
  return { events };
}

async function readTransient(file: string, chunkBytes: number): Promise<unknown[]> {
  const events: unknown[] = [];
  await forEachHistoryEvent(file, (e) => events.push(JSON.parse(JSON.stringify(e))), {
    transient: true,
    chunkBytes,
  });
  return events;
}

async function readKept(file: string, chunkBytes: number): Promise<unknown[]> {
  const events: unknown[] = [];
  const batches = readHistoryBatches(file, { chunkBytes });
  for (;;) {
    const next = await batches.next();
    if (next.done) return events;
    events.push(...next.value);
  }
}

/** A place in `text` near where its values start and end (a quote, a digit, the end), or anywhere. */
function placeIn(text: string, n: number, near: boolean): number {
  if (!near) return n % (text.length + 1);
  const marks: number[] = [text.length];
  for (let k = 0; k < text.length; k++) if (/["0-9}]/.test(text[k]!)) marks.push(k, k + 1);
  return marks[n % marks.length]!;
}

const historyArbitrary = fc
  .record({
    // Lines cycle through the shapes, as a history does, so later ones meet learnt templates.
    length: fc.integer({ min: 8, max: 60 }),
    // The first `i`: short numbers, long ones, and some past 15 digits (read by JSON.parse).
    base: fc.constantFrom(0, 9_996, 1_234_567, 99_999_990, 999_999_999_999_990),
    skip: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    seeds: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
    edits: fc.array(
      fc.record({
        line: fc.nat(),
        at: fc.nat(),
        near: fc.boolean(),
        remove: fc.integer({ min: 0, max: 3 }),
        insert: fc.constantFrom('', ...INSERTS),
      }),
      { maxLength: 3 },
    ),
    crlf: fc.boolean(),
    chunkBytes: fc.integer({ min: 8, max: 400 }),
  })
  .map(({ length, base, skip, seeds, edits, crlf, chunkBytes }) => {
    let s = 0;
    const pick = (n: number) => seeds[s++ % seeds.length]! % n;
    const kinds = [0, 1, 2, 3, 4].filter((k) => k === 2 || !skip[k]);
    const lines = ['{"type":"meta","version":1}'];
    for (let i = 0; i < length; i++) lines.push(shape(kinds[i % kinds.length]!, base + i, pick));
    for (const { line, at, near, remove, insert } of edits) {
      // Mostly lines after the shapes were learnt.
      const k = 1 + (line % (lines.length - 1));
      const text = lines[k]!;
      const p = placeIn(text, at, near);
      lines[k] = text.slice(0, p) + insert + text.slice(p + remove);
    }
    return { lines: crlf ? lines.map((l) => `${l}\r`) : lines, chunkBytes };
  });

describe('history scanner, fuzzed', () => {
  it('reads changed lines of the writer shapes, in chunks of any size, as JSON.parse and validateEvent do', async () => {
    let errors = 0;
    await fc.assert(
      fc.asyncProperty(historyArbitrary, async ({ lines, chunkBytes }) => {
        const file = join(dir, `h${files++}.ndjson`);
        writeFileSync(file, `${lines.join('\n')}\n`);
        const expected = reference(lines);
        for (const read of [readTransient, readKept]) {
          if ('events' in expected) expect(await read(file, chunkBytes)).toEqual(expected.events);
          else {
            errors++;
            await expect(read(file, chunkBytes)).rejects.toThrow(expected.error);
          }
        }
      }),
      { numRuns: Number(process.env.SCAN_RUNS ?? 400), seed: 17 },
    );
    // Not vacuous: a good share of the changed histories are errors, and a good share read.
    expect(errors).toBeGreaterThan(100);
    expect(errors).toBeLessThan(700);
  });
});
