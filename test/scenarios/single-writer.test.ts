import { describe, expect, it } from 'vitest';
import type { EventInput } from '../../core/events.ts';
import type { KeyedEntry, OutgoingMessage, SendOutcome } from '../../drivers/driver.ts';
import { handleCommand } from '../../scenarios/kit/event-sourcing/commands.ts';
import type { LoggedEvent } from '../../scenarios/kit/event-sourcing/event-log.ts';
import {
  ownedStream,
  serialized,
  singleWriterCommands,
} from '../../scenarios/kit/event-sourcing/single-writer.ts';
import type { ProducerStep } from '../../scenarios/scenario.ts';
import { fixedWorkload } from '../helpers/workloads.ts';

/**
 * The single writer's own bookkeeping (Kafka as the event store), against a log that takes any
 * append — a plain array, standing in for the key's records — and sends whose outcome the test
 * chooses: what it reads, when, and which version it appends.
 */
class PlainLog {
  readonly records: KeyedEntry[] = [];
  reads = 0;
  /**
   * The next sends, in order (default: ok, stored at once): their outcome, when the record lands
   * (later than the answer), and whether the producer dies while sending.
   */
  readonly next: Array<{ outcome: SendOutcome; landsAfterMs?: number; kills?: boolean }> = [];

  append(message: OutgoingMessage) {
    this.records.push({ payload: message.payload, position: this.records.length + 1 });
  }

  versions(): number[] {
    return this.records.map((r) => (JSON.parse(new TextDecoder().decode(r.payload)) as LoggedEvent).version);
  }
}

function writerStep(log: PlainLog, store: object, events: EventInput[]) {
  let alive = true;
  const step: ProducerStep<unknown> = {
    name: 'producer-0',
    index: 0,
    variant: 'broker-log',
    workload: fixedWorkload(),
    store,
    claim: { delivery: 'at-least-once', ordering: 'none', concurrency: 'single-writer' },
    signal: new AbortController().signal,
    alive: () => alive,
    async send(message) {
      const planned = log.next.shift() ?? { outcome: { status: 'ok' } };
      if (planned.landsAfterMs === undefined) {
        if (planned.outcome.status === 'ok') log.append(message);
      } else setTimeout(() => log.append(message), planned.landsAfterMs);
      if (planned.kills) alive = false;
      return alive ? planned.outcome : undefined;
    },
    async readKey() {
      log.reads++;
      return [...log.records];
    },
    crashAt: async () => !alive,
    finished: () => false,
    allFinished: () => false,
    record: (e) => {
      if (alive) events.push({ ...e, p: 'producer-0' } as EventInput);
    },
  };
  return step;
}

const command = (step: ProducerStep<unknown>, id: string) =>
  serialized(step, 'user-0', () =>
    handleCommand(id, 'user-0', step, singleWriterCommands(step, 'user-0'), () => ({
      type: 'UserEmailChanged',
      data: id,
    })),
  );

describe('the single writer of a stream (a log that takes any append)', () => {
  it("a command's stream is its key's: each key has one producer", () => {
    const message = { id: 'm9', key: 'k3', poison: false, payload: new Uint8Array() };
    expect(ownedStream('user', message, 1)).toBe('user-3');
    expect(ownedStream('user', { ...message, key: undefined }, 1)).toBe('user-1');
  });

  it('reads the stream once, then keeps its version itself, one command at a time', async () => {
    const log = new PlainLog();
    const events: EventInput[] = [];
    const step = writerStep(log, {}, events);
    await Promise.all(['m1', 'm2', 'm3', 'm4'].map((id) => command(step, id)));
    expect(log.reads).toBe(1);
    expect(log.versions()).toEqual([1, 2, 3, 4]);
    const expected = events.filter((e) => e.f === 'append' && e.type === 'invoke').map((e) => e.expected);
    expect(expected).toEqual([0, 1, 2, 3]);
  });

  it('after an unknown outcome, waits for the append to show up before it appends again', async () => {
    const log = new PlainLog();
    const events: EventInput[] = [];
    const step = writerStep(log, {}, events);
    await command(step, 'm1');
    // m2 times out, and lands 300 ms later (a client still retrying it).
    log.next.push({ outcome: { status: 'info', error: 'no acknowledgement' }, landsAfterMs: 300 });
    await command(step, 'm2');
    await command(step, 'm3');
    // Had it trusted the first read without m2, m3 would be a second event at version 2.
    expect(log.versions()).toEqual([1, 2, 3]);
    expect(log.reads).toBeGreaterThan(2);
    const m3 = events.find((e) => e.f === 'append' && e.type === 'ok' && e.id === 'm3');
    expect(m3?.version).toBe(3);
  });

  it('a restarted writer reads the stream again, and waits for what the dead one had in flight', async () => {
    const log = new PlainLog();
    const store = {};
    const events: EventInput[] = [];
    const first = writerStep(log, store, events);
    await command(first, 'm1');
    // The producer dies while m2 is in flight; m2 lands 200 ms later.
    log.next.push({ outcome: { status: 'info', error: 'lost' }, landsAfterMs: 200, kills: true });
    await command(first, 'm2');
    expect(events.some((e) => e.id === 'm2' && e.type !== 'invoke')).toBe(false);
    const reads = log.reads;
    const second = writerStep(log, store, events);
    await command(second, 'm3');
    expect(log.reads).toBeGreaterThan(reads);
    expect(log.versions()).toEqual([1, 2, 3]);
  });
});
