// The runner's own cost per message sent, no broker: what the harness adds to a producer before any
// driver or client library runs. Three layers, each including the one before: the message made from
// the plan (id, key, payload), the two events a send records (its invoke and its `ok`) written to the
// history with the runner's live folds listening, and the whole producer client (window, retry and
// crash bookkeeping) sending to a producer that answers `ok` at once. Alternating rounds, medians.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProducerRecorder } from '../../core/client-events.ts';
import { CaseClock } from '../../core/clock.ts';
import type { EventInput } from '../../core/events.ts';
import { History, HistoryWriter } from '../../core/history-writer.ts';
import type { Producer, SendOutcome, TopologyClients } from '../../drivers/driver.ts';
import { CoverageCollector } from '../../runner/coverage.ts';
import { LiveRetryIntervals } from '../../runner/live-retry-intervals.ts';
import { MessagePlan } from '../../runner/messages.ts';
import { ProducerClient } from '../../runner/producer-client.ts';
import { plainWorkload } from '../../scenarios/scenario.ts';

const LAYERS = ['message', 'message + two events', 'producer client'] as const;
type Layer = (typeof LAYERS)[number];

/** A history as the runner keeps one: written to a file, with the live folds listening. */
function runnerHistory(path: string): { history: History; close: () => number } {
  const writer = new HistoryWriter(path);
  const history = new History(writer, new CaseClock());
  const retries = new LiveRetryIntervals();
  const coverage = new CoverageCollector();
  history.onEvent((e) => {
    retries.add(e);
    coverage.add(e);
  });
  return {
    history,
    close: () => {
      history.flush();
      writer.close();
      return history.size;
    },
  };
}

const OK: SendOutcome = { status: 'ok', partition: 0 };
const OK_NOW = Promise.resolve(OK);

async function round(layer: Layer, messages: number, path: string): Promise<number> {
  const workload = plainWorkload(messages);
  const plan = new MessagePlan(workload);
  const { history, close } = runnerHistory(path);
  const recorder = { record: (e: EventInput, json?: string) => history.record(e, json) };
  const start = process.cpuUsage();
  let expected = 0;
  if (layer === 'message') {
    let bytes = 0;
    for (let n = 0; n < messages; n++) bytes += plan.message(n).payload.length;
    if (bytes !== messages * workload.payloadBytes) throw new Error('a message without its payload');
  } else if (layer === 'message + two events') {
    const events = new ProducerRecorder(recorder, 'producer-0');
    for (let n = 0; n < messages; n++) {
      const m = plan.message(n);
      events.sendInvoke(m.id, 'bp.bench', m.key, m.poison);
      events.sendOk(m.id, 0, n);
    }
    expected = 2 * messages;
  } else {
    const producer: Producer = { send: () => OK_NOW, close: async () => {} };
    const topology = { producer: async () => producer, dest: 'bp.bench' } as unknown as TopologyClients;
    const client = new ProducerClient(
      topology,
      plan,
      { name: 'producer-0', recorder, window: 256, retries: 0, signal: new AbortController().signal },
      { index: 0, workload },
    );
    await client.run();
    expected = 2 * messages;
  }
  const events = close();
  const used = process.cpuUsage(start);
  if (events !== expected) throw new Error(`${layer}: ${events} events, not ${expected}`);
  return (used.user + used.system) / messages;
}

export interface SendSideRow {
  layer: Layer;
  'runner CPU µs/msg': string;
}

/** Each layer's CPU per message: median (spread) over alternating rounds. */
export async function measureSendSide(messages: number, rounds: number): Promise<SendSideRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bp-bench-send-side-'));
  const results = new Map<Layer, number[]>(LAYERS.map((l) => [l, []]));
  try {
    for (let k = 0; k < rounds; k++) {
      for (const [i, layer] of LAYERS.entries())
        results.get(layer)!.push(await round(layer, messages, join(dir, `send-${k}-${i}.ndjson`)));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return LAYERS.map((layer) => {
    const xs = results.get(layer)!;
    return {
      layer,
      'runner CPU µs/msg': `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`,
    };
  });
}
