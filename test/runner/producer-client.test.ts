import { describe, expect, it } from 'vitest';
import { History, MemorySink } from '../../core/history-writer.ts';
import type { Producer, SendOutcome } from '../../drivers/driver.ts';
import { runProducer } from '../../runner/producer-client.ts';

/** A producer whose outcomes are scripted per message id, to test the client's bookkeeping. */
function scripted(outcomes: Record<string, SendOutcome[]>): Producer {
  return {
    send: async (m) => outcomes[m.id]!.shift() ?? { status: 'ok' },
    close: async () => {},
  };
}

describe('producer client', () => {
  it('records invoke and completion per send, and retries unknown and failed sends with the same id', async () => {
    const sink = new MemorySink();
    const history = new History(sink);
    const producer = scripted({
      a: [
        { status: 'info', error: 'timeout' },
        { status: 'ok', partition: 2, offset: 7 },
      ],
      b: [
        { status: 'fail', error: 'refused' },
        { status: 'fail', error: 'refused' },
      ],
      c: [{ status: 'ok' }],
    });
    const messages = ['a', 'b', 'c'].map((id) => ({ id, poison: id === 'c', payload: new Uint8Array(1) }));
    await runProducer(messages, {
      name: 'producer-0',
      dest: 'q',
      producer,
      recorder: { record: (e) => void history.record(e) },
      window: 1,
      retries: 1,
      signal: new AbortController().signal,
    });
    const lines = sink.events.map((e) => `${e.id}:${e.type}`);
    expect(lines).toEqual([
      'a:invoke',
      'a:info',
      'a:invoke',
      'a:ok',
      'b:invoke',
      'b:fail',
      'b:invoke',
      'b:fail',
      'c:invoke',
      'c:ok',
    ]);
    expect(sink.events[3]).toMatchObject({ partition: 2, offset: 7 });
    expect(sink.events[8]).toMatchObject({ poison: true, dest: 'q' });
  });

  it('does not retry without retries, and stops when aborted', async () => {
    const sink = new MemorySink();
    const history = new History(sink);
    const controller = new AbortController();
    controller.abort();
    await runProducer([{ id: 'a', poison: false, payload: new Uint8Array(1) }], {
      name: 'p',
      dest: 'q',
      producer: scripted({ a: [{ status: 'info', error: 'x' }] }),
      recorder: { record: (e) => void history.record(e) },
      window: 1,
      retries: 0,
      signal: controller.signal,
    });
    expect(sink.events).toEqual([]);
  });
});
