import type { OutgoingMessage } from '../../../drivers/driver.ts';
import type { ProducerStep } from '../../scenario.ts';
import { type CommandLog, eventMessage } from './commands.ts';
import type { LoggedEvent } from './event-log.ts';

/**
 * How long a writer waits for an append whose outcome it does not know to show up in the log
 * before it trusts a read without it. The client may still be retrying it (kafkajs goes on past the
 * producer's send timeout); appending the same version meanwhile would put two events at it.
 */
export const IN_DOUBT_MS = 20_000;

/** One writer's knowledge of a stream it owns. */
interface StreamState {
  /** The stream's events as this writer appended or last read them; undefined: read it first. */
  events: LoggedEvent[] | undefined;
  /** Commands on the stream, one at a time: the writer appends in the order it decides. */
  turn: Promise<void>;
}

/** What one producer process knows while it lives (`alive` is its incarnation's). */
interface Writer {
  alive: () => boolean;
  streams: Map<string, StreamState>;
}

/**
 * Per producer, over its incarnations: appends sent and not answered (event id → stream), appends
 * whose outcome is unknown (event id → stream, and since when), and the live incarnation's writer.
 */
interface Doubts {
  inFlight: Map<string, string>;
  unknown: Map<string, { stream: string; since: number }>;
  writer: Writer | undefined;
}

const producers = new WeakMap<object, Map<string, Doubts>>();

function doubtsOf(step: ProducerStep<unknown>): Doubts {
  const key = (step.store ?? step) as object;
  let byName = producers.get(key);
  if (!byName) {
    byName = new Map();
    producers.set(key, byName);
  }
  let doubts = byName.get(step.name);
  if (!doubts) {
    doubts = { inFlight: new Map(), unknown: new Map(), writer: undefined };
    byName.set(step.name, doubts);
  }
  return doubts;
}

/**
 * The writer of this producer's incarnation. A new incarnation (after a crash) knows nothing: it
 * reads each stream again, and what the dead one had in flight is in doubt.
 */
function writerOf(step: ProducerStep<unknown>): { writer: Writer; doubts: Doubts } {
  const doubts = doubtsOf(step);
  if (!doubts.writer?.alive()) {
    const now = Date.now();
    for (const [id, stream] of doubts.inFlight) doubts.unknown.set(id, { stream, since: now });
    doubts.inFlight.clear();
    doubts.writer = { alive: step.alive, streams: new Map() };
  }
  return { writer: doubts.writer, doubts };
}

/**
 * The stream a single writer's command is for: its key's (`k3` → `user-3`). Each key belongs to one
 * producer (`planMessages`), so each stream has one writer; unkeyed, a producer's own stream.
 */
export function ownedStream(prefix: string, message: OutgoingMessage, index: number): string {
  const key = message.key?.match(/^k(\d+)$/)?.[1];
  return `${prefix}-${key ?? index}`;
}

/**
 * A command log for a store that takes any append (Kafka: a stream is a key, no expected offset),
 * used by the only writer of each stream: it keeps each stream's version itself, reads a stream
 * from the broker only when it does not know it (first use, after a crash, after an unknown
 * outcome), and appends one command at a time per stream (`serialized`). A read that lacks an
 * append still in doubt is not trusted until IN_DOUBT_MS have passed.
 */
export function singleWriterCommands(step: ProducerStep<unknown>, stream: string): CommandLog {
  const readKey = step.readKey;
  if (!readKey) throw new Error('this setup cannot read a key back: its broker is no event store');
  const { writer, doubts } = writerOf(step);
  const state = streamState(writer, stream);
  return {
    async read() {
      if (state.events) return { events: [...state.events], position: 0 };
      const entries = await readKey(stream);
      const events = entries.map((e) => JSON.parse(new TextDecoder().decode(e.payload)) as LoggedEvent);
      const seen = new Set(events.map((e) => e.id));
      for (const [id, doubt] of doubts.unknown) {
        if (doubt.stream !== stream) continue;
        if (seen.has(id) || Date.now() - doubt.since >= IN_DOUBT_MS) doubts.unknown.delete(id);
        else throw new Error(`append ${id} to ${stream} is still in doubt`);
      }
      if (writer.alive()) state.events = events;
      return { events, position: 0 };
    },
    async append(event, expected) {
      const version = expected + 1;
      doubts.inFlight.set(event.id, stream);
      const outcome = await step.send(eventMessage({ ...event, version }), undefined, { retries: 0 });
      if (outcome === undefined) throw new Error('the producer died');
      doubts.inFlight.delete(event.id);
      if (outcome.status === 'ok') {
        state.events?.push({ ...event, version });
        return { status: 'ok', version };
      }
      if (outcome.status === 'fail') return { status: 'failed', error: outcome.error };
      // Unknown: it may land yet. Read the stream again before the next append, and wait for it.
      doubts.unknown.set(event.id, { stream, since: Date.now() });
      state.events = undefined;
      throw new Error(outcome.error);
    },
  };
}

function streamState(writer: Writer, stream: string): StreamState {
  let state = writer.streams.get(stream);
  if (!state) {
    state = { events: undefined, turn: Promise.resolve() };
    writer.streams.set(stream, state);
  }
  return state;
}

/** Runs `command` once the stream's earlier commands of this writer are done. */
export async function serialized(
  step: ProducerStep<unknown>,
  stream: string,
  command: () => Promise<void>,
): Promise<void> {
  const state = streamState(writerOf(step).writer, stream);
  const previous = state.turn;
  let release!: () => void;
  state.turn = new Promise<void>((resolve) => {
    release = resolve;
  });
  try {
    await previous;
    await command();
  } finally {
    release();
  }
}
