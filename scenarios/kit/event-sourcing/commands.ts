import { sleep } from '../../../core/clock.ts';
import type { Delivery, OutgoingMessage } from '../../../drivers/driver.ts';
import type { ProducerStep } from '../../scenario.ts';
import { relayOutbox } from '../relay.ts';
import { type Backoff, backoffDelay } from '../standard-step.ts';
import type { AppendOutcome, EventLog, LoggedEvent } from './event-log.ts';

/** A command that lost its expected version is reloaded and retried this often. */
export const CONFLICT_RETRIES = 8;
const RETRY: Backoff = { baseMs: 50, factor: 2, maxMs: 1_000 };

/** The stream a command is for: spread over `streams` streams by id, so several writers share each. */
export function streamOf(prefix: string, id: string, streams: number): string {
  let h = 0;
  for (let k = 0; k < id.length; k++) h = (h * 31 + id.charCodeAt(k)) | 0;
  return `${prefix}-${Math.abs(h) % Math.max(1, streams)}`;
}

/** The number a stream's name ends with (`user-3` → 3). */
export function streamNumber(stream: string): number {
  return Number(stream.slice(stream.lastIndexOf('-') + 1));
}

/** What a decision appends; undefined when the command model rejects the command. */
export type Decision = Pick<LoggedEvent, 'type' | 'data'> | undefined;

/**
 * Where a command handler reads a stream and appends to it: the store's log (`logCommands`) or
 * the broker itself (`brokerCommands`). `position` is what the read saw, for a log that checks it.
 */
export interface CommandLog {
  read(stream: string): Promise<{ events: LoggedEvent[]; position: number }>;
  /** ok, a conflict, or a definite failure; throws when the outcome is unknown. */
  append(
    event: Omit<LoggedEvent, 'version'>,
    expected: number,
    position: number,
  ): Promise<AppendOutcome | { status: 'failed'; error: string }>;
}

/** The store's own log as a command log (it checks the expected version itself). */
export function logCommands(log: EventLog): CommandLog {
  return {
    read: async (stream) => ({ events: await log.read(stream), position: 0 }),
    append: (event, expected) => log.append(event, expected),
  };
}

/**
 * A command handler: load the stream, decide, append with the version it read. A conflict reloads
 * and decides again, as does a definite failure; an unknown outcome is not retried (the handler
 * cannot tell whether it landed — it is recorded as `info`); a rejected command appends nothing.
 */
export async function handleCommand(
  id: string,
  stream: string,
  step: ProducerStep<unknown>,
  log: CommandLog,
  decide: (events: readonly LoggedEvent[]) => Decision,
): Promise<void> {
  for (let attempt = 1; attempt <= CONFLICT_RETRIES && step.alive() && !step.signal.aborted; attempt++) {
    let read: Awaited<ReturnType<CommandLog['read']>>;
    try {
      read = await log.read(stream);
    } catch {
      await sleep(backoffDelay(RETRY, attempt), step.signal);
      continue;
    }
    const { events, position } = read;
    const expected = events.length === 0 ? 0 : Math.max(...events.map((e) => e.version));
    const decision = decide(events);
    if (!decision || !step.alive()) return;
    step.record({ type: 'invoke', f: 'append', id, stream, expected });
    let outcome: Awaited<ReturnType<CommandLog['append']>>;
    try {
      outcome = await log.append({ id, stream, ...decision }, expected, position);
    } catch (error) {
      step.record({ type: 'info', f: 'append', id, stream, error: describe(error) });
      return;
    }
    if (!step.alive()) return;
    if (outcome.status === 'ok') {
      step.record({ type: 'ok', f: 'append', id, stream, version: outcome.version });
      await step.crashAt('after-append');
      return;
    }
    const error = outcome.status === 'conflict' ? 'conflict' : outcome.error;
    step.record({ type: 'fail', f: 'append', id, stream, error });
    await sleep(backoffDelay(RETRY, attempt), step.signal);
  }
}

/**
 * The relay: publishes unsent events in outbox order, each producer those of the streams it owns,
 * so one relay publishes a stream's events, in version order. It runs until every producer is done.
 */
export function relayEvents(step: ProducerStep<{ log: EventLog }>, producers: number): Promise<void> {
  const owns = (stream: string) => streamNumber(stream) % producers === step.index;
  return relayOutbox(step, {
    pending: async (limit) =>
      (await step.store.log.pending(owns, limit)).map((row) => ({
        seq: row.seq,
        message: eventMessage(row.event),
      })),
    markSent: (seq) => step.store.log.markSent(seq),
    finished: () => step.allFinished(),
  });
}

export function eventMessage(event: LoggedEvent): OutgoingMessage {
  return {
    id: event.id,
    key: event.stream,
    poison: false,
    payload: new TextEncoder().encode(JSON.stringify(event)),
  };
}

export function eventOf(d: Delivery): LoggedEvent {
  return JSON.parse(new TextDecoder().decode(d.payload)) as LoggedEvent;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
