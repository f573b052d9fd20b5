import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventJson, jsonString } from '../../core/event-json.ts';

// The recording hot path writes events by hand; its text must be JSON.stringify's, byte for byte.

const tricky = [
  '',
  'plain',
  'quote " and backslash \\',
  'control \u0000 \u0001 \n \r \t \u001f \u007f',
  'unicode é ☃ 中文',
  'pair 🙂',
  'lone \ud800 high',
  'lone \udfff low',
  '</script>',
  '\u2028\u2029',
];
const numbers = [
  0,
  -0,
  1,
  -1,
  2 ** 31,
  2 ** 53 + 2,
  1e21,
  1.5e-7,
  123.456,
  Number.MAX_VALUE,
  Number.NaN,
  Infinity,
];

describe('event JSON', () => {
  it.each(tricky)('writes the string %j as JSON.stringify', (s) => {
    expect(jsonString(s)).toBe(JSON.stringify(s));
  });

  it('writes tricky ids, groups, offsets and numbers as JSON.stringify', () => {
    for (const s of tricky) {
      for (const n of numbers) {
        const events: object[] = [
          {
            p: s,
            type: 'ok',
            f: 'deliver',
            id: s,
            group: s,
            dest: s,
            partition: n,
            offset: s,
            deliveryCount: n,
          },
          { p: 'c', type: 'ok', f: 'deliver', id: n, group: 'g', dest: 'q', offset: n, redelivered: true },
          { p: 'c', type: 'ok', f: 'process', id: s, group: s },
          { p: 'c', type: 'info', f: 'ack', id: s, group: 'g', error: s },
          { p: s, type: 'invoke', f: 'send', id: s, dest: s, key: s, poison: true },
          { p: 'w', type: 'ok', f: 'send', id: s, partition: n, offset: n },
        ];
        for (const e of events) expect(eventJson(e)).toBe(JSON.stringify(e));
      }
    }
  });

  it.each([
    ['keys in another order', { type: 'ok', p: 'c', f: 'process', id: 'x', group: 'g' }],
    ['an extra field', { p: 'c', type: 'ok', f: 'nack', id: 'x', group: 'g', requeue: true, delayMs: 5 }],
    ['an undefined field', { p: 'c', type: 'ok', f: 'process', id: 'x', group: undefined }],
    ['a nested value', { p: 'c', type: 'ok', f: 'deliver', id: 'x', dest: 'q', offset: { high: 1 } }],
    ['a null', { p: 'c', type: 'ok', f: 'deliver', id: 'x', dest: null }],
    ['a bigint-like string', { p: 'c', type: 'ok', f: 'send', id: 'x', offset: '18446744073709551615' }],
    ['another operation', { p: 'nemesis', type: 'info', f: 'crash', target: 'c', point: 'before-ack' }],
  ])('falls back to JSON.stringify for %s', (_, e) => {
    expect(eventJson(e)).toBe(JSON.stringify(e));
  });

  it('agrees with JSON.stringify on drawn events', () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(undefined),
    );
    const key = fc.constantFrom(
      'p',
      'type',
      'id',
      'group',
      'dest',
      'partition',
      'offset',
      'key',
      'poison',
      'error',
      'x',
    );
    fc.assert(
      fc.property(
        fc.constantFrom('deliver', 'process', 'ack', 'send', 'nack'),
        fc.array(fc.tuple(key, value), { maxLength: 8 }),
        (f, fields) => {
          const e: Record<string, unknown> = { f };
          for (const [k, v] of fields) e[k] = v;
          expect(eventJson(e)).toBe(JSON.stringify(e));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
