import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsumerRecorder, ProducerRecorder } from '../../core/client-events.ts';
import type { EventInput } from '../../core/events.ts';

// The typed writers build an event and its JSON in one pass; the JSON must be JSON.stringify's of
// that event, byte for byte, or the history on disk would say something the client did not record.

const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', 'quote " \\', '\u0000\u001f', 'lone \ud800', 'pair 🙂', '\u2028'),
);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, 1e21, Number.NaN, Infinity));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

/** Records what the writers hand over: each event with the JSON they built for it (if any). */
function capture() {
  const recorded: { event: EventInput; json: string | undefined }[] = [];
  return { recorded, record: (event: EventInput, json?: string) => void recorded.push({ event, json }) };
}

/** Every JSON handed over is JSON.stringify's of its event. */
function expectFaithful(recorded: { event: EventInput; json: string | undefined }[], expected: number): void {
  expect(recorded).toHaveLength(expected);
  for (const { event, json } of recorded) if (json !== undefined) expect(json).toBe(JSON.stringify(event));
}

describe('client event writers', () => {
  it('write each consumer event as JSON.stringify would', () => {
    fc.assert(
      fc.property(
        text,
        maybe(text),
        text,
        text,
        maybe(number),
        maybe(fc.oneof(text, number)),
        maybe(fc.boolean()),
        maybe(number),
        fc.constantFrom('ok', 'fail', 'info') as fc.Arbitrary<'ok' | 'fail' | 'info'>,
        maybe(text),
        (p, group, id, dest, partition, offset, redelivered, count, status, error) => {
          const sink = capture();
          const events = new ConsumerRecorder(sink, p, group);
          events.deliver(id, dest, partition, offset, redelivered, count);
          events.simple('ok', 'process', id);
          events.simple('invoke', 'ack', id);
          events.ackOutcome(status, id, error);
          expectFaithful(sink.recorded, 4);
          // Only a number JSON cannot write plainly leaves the JSON to the generic serialiser.
          const plain = [partition, offset, count].every((x) => typeof x !== 'number' || Number.isFinite(x));
          expect(sink.recorded[0]!.json === undefined).toBe(!plain);
          expect(sink.recorded.slice(1).every((r) => r.json !== undefined)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('write each producer event as JSON.stringify would', () => {
    fc.assert(
      fc.property(
        text,
        text,
        text,
        maybe(text),
        fc.boolean(),
        maybe(number),
        maybe(fc.oneof(text, number)),
        maybe(text),
        (p, id, dest, key, poison, partition, offset, error) => {
          const sink = capture();
          const events = new ProducerRecorder(sink, p);
          events.sendInvoke(id, dest, key, poison);
          events.sendOk(id, partition, offset);
          events.sendFailed('fail', id, error);
          events.sendFailed('info', id, error);
          expectFaithful(sink.recorded, 4);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('record the events a client records today, field for field', () => {
    const sink = capture();
    const events = new ConsumerRecorder(sink, 'consumer-0', 'default');
    events.deliver('m1', 'q', undefined, 7, true, 2);
    events.ackOutcome('ok', 'm1', undefined);
    expect(sink.recorded.map((r) => r.event)).toEqual([
      {
        p: 'consumer-0',
        type: 'ok',
        f: 'deliver',
        id: 'm1',
        group: 'default',
        dest: 'q',
        offset: 7,
        redelivered: true,
        deliveryCount: 2,
      },
      { p: 'consumer-0', type: 'ok', f: 'ack', id: 'm1', group: 'default' },
    ]);
    expect(sink.recorded[1]!.json).toBe(
      '{"p":"consumer-0","type":"ok","f":"ack","id":"m1","group":"default"}',
    );
  });
});
