import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsumerRecorder } from '../../core/client-events.ts';
import type { EventInput } from '../../core/events.ts';
import { CompactConsumerDecoder, CompactConsumerEvents } from '../../runner/compact-consumer-events.ts';

// A worker sends a consumer's per-message events as the writer's arguments; the runner rebuilds
// them with the same writer. What reaches the history must be exactly what the in-process writer
// records, call for call, or a worker's history would say something its consumer did not record.

const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  { arbitrary: fc.stringMatching(/^[a-z0-9.-]{1,12}$/), weight: 4 }, // the usual: ids, queue names, offsets
  fc.constantFrom('', "'7", 'tab\there', 'new\nline', 'quote " \\', '\u0000', 'lone \ud800', 'pair 🙂'),
);
const number = fc.oneof(
  { arbitrary: fc.nat(), weight: 4 },
  fc.integer(),
  fc.double(),
  fc.constantFrom(-0, 1e21, Number.NaN, Infinity),
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const time = fc.oneof(fc.nat({ max: 2 ** 40 }), fc.constantFrom(0.5, -1, 1e15, Number.NaN));

type Call =
  | [
      'deliver',
      string,
      string,
      number | undefined,
      string | number | undefined,
      boolean | undefined,
      number | undefined,
    ]
  | ['simple', 'ok' | 'invoke', 'process' | 'ack', string]
  | ['ackOutcome', 'ok' | 'fail' | 'info', string, string | undefined];

const call: fc.Arbitrary<Call> = fc.oneof(
  fc.tuple(
    fc.constant('deliver' as const),
    text,
    text,
    maybe(number),
    maybe(fc.oneof(text, number)),
    maybe(fc.boolean()),
    maybe(number),
  ),
  fc.tuple(
    fc.constant('simple' as const),
    fc.constantFrom('ok', 'invoke'),
    fc.constantFrom('process', 'ack'),
    text,
  ),
  fc.tuple(fc.constant('ackOutcome' as const), fc.constantFrom('ok', 'fail', 'info'), text, maybe(text)),
);

interface Recorded {
  event: EventInput;
  json: string | undefined;
}

function apply(writer: ConsumerRecorder | CompactConsumerEvents, c: Call): void {
  if (c[0] === 'deliver') writer.deliver(c[1], c[2], c[3], c[4], c[5], c[6]);
  else if (c[0] === 'simple') writer.simple(c[1], c[2], c[3]);
  else writer.ackOutcome(c[1], c[2], c[3]);
}

/** What the in-process writer records for the call. */
function direct(p: string, group: string | undefined, c: Call): Recorded {
  const out: Recorded[] = [];
  apply(new ConsumerRecorder({ record: (event, json) => void out.push({ event, json }) }, p, group), c);
  return out[0]!;
}

/** A line the compact writer can carry: every string plain and not empty, every number plain. */
function carriable(c: Call, t: number): boolean {
  const str = (s: string | undefined) =>
    s === undefined || (s !== '' && !/["\\\u0000-\u001f\ud800-\udfff]/.test(s));
  const num = (n: number | undefined) => n === undefined || (Number.isFinite(n) && !Object.is(n, -0));
  const timeOk = Number.isInteger(t) && t >= 0 && t < 1e15;
  if (c[0] === 'deliver')
    return (
      timeOk &&
      str(c[1]) &&
      str(c[2]) &&
      num(c[3]) &&
      (typeof c[4] === 'string' ? str(c[4]) : num(c[4])) &&
      num(c[6])
    );
  if (c[0] === 'simple') return timeOk && str(c[3]);
  return timeOk && str(c[2]) && str(c[3]);
}

describe('compact consumer events', () => {
  it('rebuild in the runner exactly the event and JSON the in-process writer records', () => {
    const seen = { compact: 0, json: 0, sameDest: 0 };
    // Destinations drawn from a few, so that "the same as the last delivery's" comes up often.
    const calls = fc.array(fc.tuple(call, time, fc.constantFrom('q1', 'q2', undefined)), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(text, maybe(text), calls, (p, group, drawn) => {
        let t = 0;
        const lines: string[] = [];
        const fallback: Recorded[] = [];
        const writer = new CompactConsumerEvents(
          { clock: { nowMicros: () => t }, line: (s) => void lines.push(s) },
          3,
          new ConsumerRecorder({ record: (event, json) => void fallback.push({ event, json }) }, p, group),
        );
        const decoded: (Recorded & { t: number })[] = [];
        const decoder = new CompactConsumerDecoder(
          (at, event, json) => void decoded.push({ t: at, event, json }),
        );
        expect(decoder.declare({ control: 'consumer', k: 3, p, group })).toBe(true);
        for (const [drawnCall, at, dest] of drawn) {
          const c: Call =
            drawnCall[0] === 'deliver' && dest
              ? (['deliver', drawnCall[1], dest, ...drawnCall.slice(3)] as Call)
              : drawnCall;
          t = at;
          lines.length = 0;
          fallback.length = 0;
          decoded.length = 0;
          apply(writer, c);
          const expected = direct(p, group, c);
          if (!carriable(c, t)) {
            // Recorded as a JSON event line instead, by the same writer.
            expect(lines).toEqual([]);
            expect(fallback).toEqual([expected]);
            seen.json++;
            continue;
          }
          expect(fallback).toEqual([]);
          expect(lines).toHaveLength(1);
          seen.compact++;
          if (lines[0]!.startsWith('D') && lines[0]!.split('\t')[4] === '') seen.sameDest++;
          expect(decoder.decode(lines[0]!)).toBe(true);
          expect(decoded).toEqual([{ t, ...expected }]);
          const offset = (e: EventInput) => (e as { offset?: unknown }).offset;
          expect(Object.is(offset(decoded[0]!.event), offset(expected.event))).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
    // Every way was taken often (the draws are not all of one kind).
    expect(seen.compact).toBeGreaterThan(1000);
    expect(seen.json).toBeGreaterThan(1000);
  });

  it('name a destination once for a run of deliveries to it, deliveries sent as JSON among them', () => {
    let same = 0;
    const step = fc.oneof(
      fc.tuple(fc.constant('deliver' as const), fc.constantFrom('q1', 'q2', 'quote"q', '')),
      fc.tuple(fc.constant('process' as const), fc.constant('')),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const lines: string[] = [];
        const json: Recorded[] = [];
        const writer = new CompactConsumerEvents(
          { clock: { nowMicros: () => 7 }, line: (s) => void lines.push(s) },
          0,
          new ConsumerRecorder({ record: (event, j) => void json.push({ event, json: j }) }, 'c', 'g'),
        );
        const decoded: EventInput[] = [];
        const decoder = new CompactConsumerDecoder((_t, event) => void decoded.push(event));
        decoder.declare({ control: 'consumer', k: 0, p: 'c', group: 'g' });
        steps.forEach(([kind, dest], n) => {
          lines.length = 0;
          json.length = 0;
          decoded.length = 0;
          if (kind === 'process') writer.simple('ok', 'process', `m${n}`);
          else writer.deliver(`m${n}`, dest, undefined, undefined, undefined, undefined);
          if (json.length > 0) return; // a destination JSON escapes, or an empty one
          if (lines[0]!.split('\t')[4] === '') same++;
          expect(decoder.decode(lines[0]!)).toBe(true);
          if (kind === 'deliver')
            expect(decoded).toEqual([
              direct('c', 'g', ['deliver', `m${n}`, dest, undefined, undefined, undefined, undefined]).event,
            ]);
        });
      }),
      { numRuns: 500 },
    );
    expect(same).toBeGreaterThan(50);
  });

  it('write the usual calls compactly, short lines', () => {
    const lines: string[] = [];
    const writer = new CompactConsumerEvents(
      { clock: { nowMicros: () => 1234 }, line: (s) => void lines.push(s) },
      0,
      new ConsumerRecorder({ record: () => expect.unreachable('no fallback') }, 'consumer-0', 'default'),
    );
    writer.deliver('m1', 'bp.q', 2, '17', true, 3);
    writer.deliver('m2', 'bp.q', undefined, 17, undefined, undefined);
    writer.deliver('m3', 'bp.dlq', undefined, undefined, false, undefined);
    writer.simple('ok', 'process', 'm1');
    writer.simple('invoke', 'ack', 'm1');
    writer.simple('invoke', 'process', 'm1');
    writer.ackOutcome('fail', 'm1', 'channel-closed');
    writer.ackOutcome('ok', 'm1', undefined);
    writer.ackOutcome('ok', 'm1', 'odd');
    expect(lines).toEqual([
      "D\t0\t1234\tm1\tbp.q\t2\t'17\t1\t3",
      'D\t0\t1234\tm2\t\t\t17\t\t', // the same destination as the last delivery
      'D\t0\t1234\tm3\tbp.dlq\t\t\t0\t',
      'P\t0\t1234\tm1',
      'K\t0\t1234\tm1',
      'S\t0\t1234\tinvoke\tprocess\tm1',
      'A\t0\t1234\tfail\tm1\tchannel-closed',
      'O\t0\t1234\tm1',
      'A\t0\t1234\tok\tm1\todd',
    ]);
  });

  it('refuse lines that are not whole compact lines of a declared consumer', () => {
    const decoded: EventInput[] = [];
    const decoder = new CompactConsumerDecoder((_t, event) => void decoded.push(event));
    expect(decoder.declare({ control: 'consumer', k: 0, p: 'consumer-0', group: 'default' })).toBe(true);
    expect(decoder.declare({ control: 'consumer', k: -1, p: 'consumer-0' })).toBe(false);
    expect(decoder.declare({ control: 'consumer', k: 1, p: 7 })).toBe(false);
    expect(decoder.declare({ control: 'consumer', k: 1, p: 'c', group: 7 })).toBe(false);
    for (const line of [
      'P\t1\t10\tm1', // consumer 1 was never declared
      'X\t0\t10\tm1', // no such operation
      'P\t0\t1x\tm1', // time not a number
      'P\t0\t\tm1',
      'P\t0\t10\t', // no id
      'P\t0\t10\tm1\textra',
      'P\t0\t10', // cut short
      'S\t0\t10\tokay\tprocess\tm1',
      'S\t0\t10\tok\tprocessed\tm1',
      'S\t0\t10\tok\tprocess\t',
      'D\t0\t10\tm1\t\t\t\t\t', // "the same destination" before any delivery
      'D\t0\t10\tm1\tq\t\t\t2\t', // a flag that is neither 1 nor 0
      'D\t0\t10\tm1\tq\tp\t\t\t', // partition not a number
      'D\t0\t10\tm1\tq\tInfinity\t\t\t',
      'D\t0\t10\tm1\tq\t\t\t', // a field short
      'D\t0\t10\t\tq\t\t\t\t',
      'A\t0\t10\tmaybe\tm1\t',
      'A\t0\t10\tok\tm1', // cut short
      'A\t0\t10\tok\t\t',
      'P0\t10\tm1',
      '',
    ])
      expect(decoder.decode(line), JSON.stringify(line)).toBe(false);
    expect(decoded).toEqual([]);
    expect(decoder.decode('P\t0\t10\tm1')).toBe(true);
    expect(decoded).toEqual([{ p: 'consumer-0', type: 'ok', f: 'process', id: 'm1', group: 'default' }]);
  });
});
