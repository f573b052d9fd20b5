import type { KeyReader } from '../../../core/store.ts';
import type { ProducerStep } from '../../scenario.ts';
import { type CommandLog, eventMessage } from './commands.ts';
import type { AppendOutcome, EventLog, LoggedEvent } from './event-log.ts';

/** The broker's messages of one key, as the stream's events (their versions as appended). */
async function readEvents(readKey: KeyReader, stream: string) {
  const entries = await readKey(stream);
  const events = entries.map((e) => JSON.parse(new TextDecoder().decode(e.payload)) as LoggedEvent);
  return { events, position: entries.at(-1)?.position ?? 0 };
}

/**
 * The broker as the event store, for a command handler: a stream is a key (a JetStream subject);
 * an append is a send carrying the position the handler read (`expectPosition`), which the broker
 * refuses (`conflict`) once another writer has appended. Sent once: a resend of an append whose
 * outcome is unknown would conflict with itself had the first landed, so it stays unknown (`info`).
 */
export function brokerCommands(step: ProducerStep<unknown>): CommandLog {
  const readKey = step.readKey;
  if (!readKey) throw new Error('this setup cannot read a key back: its broker is no event store');
  return {
    read: (stream) => readEvents((key) => readKey(key), stream),
    async append(event, expected, position) {
      const version = expected + 1;
      const message = { ...eventMessage({ ...event, version }), expectPosition: position };
      const outcome = await step.send(message, undefined, { retries: 0 });
      if (outcome === undefined) throw new Error('the producer died');
      if (outcome.status === 'ok') return { status: 'ok', version } satisfies AppendOutcome;
      if (outcome.status === 'fail')
        return outcome.error === 'conflict'
          ? { status: 'conflict' }
          : { status: 'failed', error: outcome.error };
      throw new Error(outcome.error);
    },
  };
}

/**
 * The broker's log as the store sees it after the drain: every stream read back from the broker.
 * Appends go through `brokerCommands`; there is no outbox (the broker is where events are
 * published), so nothing is pending for a relay.
 */
export function brokerEventLog(readKey: KeyReader | undefined, streams: () => readonly string[]): EventLog {
  const reader = () => {
    if (!readKey) throw new Error('the broker log is read back in the runner only');
    return readKey;
  };
  return {
    read: async (stream) => (await readEvents(reader(), stream)).events,
    append: async () => {
      throw new Error('appends to the broker log go through the producer (brokerCommands)');
    },
    pending: async () => [],
    markSent: async () => {},
    streams: async () => {
      const out = new Map<string, LoggedEvent[]>();
      for (const stream of streams()) {
        const { events } = await readEvents(reader(), stream);
        if (events.length > 0) out.set(stream, events);
      }
      return out;
    },
  };
}
