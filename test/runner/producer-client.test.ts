import { describe, expect, it } from 'vitest';
import { History, MemorySink } from '../../core/history-writer.ts';
import type { OutgoingMessage, Producer, SendOutcome, TopologyClients } from '../../drivers/driver.ts';
import { type MessageSource, ProducerClient } from '../../runner/producer-client.ts';

/** A producer whose outcomes are scripted per message id, to test the client's bookkeeping. */
function scripted(outcomes: Record<string, Array<SendOutcome | Promise<SendOutcome>>>): Producer {
  return {
    send: async (m) => (await outcomes[m.id]!.shift()) ?? { status: 'ok' },
    close: async () => {},
  };
}

function source(ids: string[]): MessageSource {
  return {
    size: ids.length,
    message: (k): OutgoingMessage => ({ id: ids[k]!, poison: ids[k] === 'c', payload: new Uint8Array(1) }),
  };
}

function client(
  producer: Producer,
  ids: string[],
  options: { retries: number; retryUnknown?: boolean; intervalMs?: number; signal?: AbortSignal },
) {
  const sink = new MemorySink();
  const history = new History(sink);
  const topology = { dest: 'q', producer: async () => producer } as unknown as TopologyClients;
  const producerClient = new ProducerClient(topology, source(ids), {
    name: 'producer-0',
    recorder: { record: (e) => void history.record(e) },
    window: 1,
    signal: options.signal ?? new AbortController().signal,
    ...options,
  });
  const lines = () =>
    sink.events.map((e) => (e.p === 'nemesis' ? `${e.f}:${e.target}` : `${e.id}:${e.type}`));
  return { producerClient, sink, lines };
}

describe('producer client', () => {
  it('records invoke and completion per send, and retries unknown and failed sends with the same id', async () => {
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
    const { producerClient, sink, lines } = client(producer, ['a', 'b', 'c'], { retries: 1 });
    await producerClient.run();
    expect(lines()).toEqual([
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
    expect(producerClient.unsettled).toBe(0);
  });

  it('does not retry an unknown outcome when told not to, nor anything without retries', async () => {
    const unknown = scripted({ a: [{ status: 'info', error: 'timeout' }], b: [{ status: 'ok' }] });
    const once = client(unknown, ['a', 'b'], { retries: 3, retryUnknown: false });
    await once.producerClient.run();
    expect(once.lines()).toEqual(['a:invoke', 'a:info', 'b:invoke', 'b:ok']);

    const failing = scripted({ a: [{ status: 'fail', error: 'refused' }] });
    const noRetries = client(failing, ['a'], { retries: 0 });
    await noRetries.producerClient.run();
    expect(noRetries.lines()).toEqual(['a:invoke', 'a:fail']);
  });

  it('sends nothing once aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { producerClient, lines } = client(scripted({ a: [{ status: 'info', error: 'x' }] }), ['a'], {
      retries: 1,
      signal: controller.signal,
    });
    await producerClient.run();
    expect(lines()).toEqual([]);
  });

  it('a crash loses the outcome in flight; after the restart the message is sent again with its id', async () => {
    let answer!: (outcome: SendOutcome) => void;
    const b = new Promise<SendOutcome>((resolve) => {
      answer = resolve;
    });
    const producer = scripted({ a: [{ status: 'ok' }], b: [b, { status: 'ok' }], c: [{ status: 'ok' }] });
    const { producerClient, lines } = client(producer, ['a', 'b', 'c'], { retries: 1 });
    const running = producerClient.run();
    await until(() => lines().includes('b:invoke'));
    await producerClient.crash();
    // The broker's answer reaches a process that no longer exists: nothing is recorded.
    answer({ status: 'ok' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines()).toEqual(['a:invoke', 'a:ok', 'b:invoke', 'crash:producer-0']);
    await producerClient.restart();
    await running;
    expect(lines()).toEqual([
      'a:invoke',
      'a:ok',
      'b:invoke',
      'crash:producer-0',
      'b:invoke',
      'b:ok',
      'c:invoke',
      'c:ok',
    ]);
  });

  it('a paced load sends each message when it is due, not before', async () => {
    const sent: number[] = [];
    const started = Date.now();
    const producer: Producer = {
      send: async () => {
        sent.push(Date.now() - started);
        return { status: 'ok' };
      },
      close: async () => {},
    };
    const { producerClient } = client(producer, ['a', 'b', 'c'], { retries: 0, intervalMs: 40 });
    await producerClient.run();
    expect(sent).toHaveLength(3);
    // The n-th message is due n × 40 ms after the start (timers may fire a millisecond early).
    expect(sent[1]).toBeGreaterThanOrEqual(39);
    expect(sent[2]).toBeGreaterThanOrEqual(79);
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 2_000) throw new Error('condition not reached within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
