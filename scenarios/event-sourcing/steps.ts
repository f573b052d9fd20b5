import { sleep } from '../../core/clock.ts';
import type { Delivery, OutgoingMessage } from '../../drivers/driver.ts';
import { relayOutbox } from '../kit/relay.ts';
import { type Backoff, backoffDelay } from '../kit/standard-step.ts';
import { isStoreUnavailableLike } from '../kit/store-errors.ts';
import type { ConsumerStep, ProducerStep } from '../scenario.ts';
import type { EventStore, UserEvent } from './event-store.ts';

/** A command that lost its expected version is reloaded and retried this often. */
export const CONFLICT_RETRIES = 8;
const RETRY: Backoff = { baseMs: 50, factor: 2, maxMs: 1_000 };
/** An event whose predecessor is not applied yet comes back soon: the predecessor is usually in flight. */
const GAP_RETRY: Backoff = { baseMs: 10, factor: 1.5, maxMs: 200 };

/** The stream a command is for: spread over `streams` users by id, so several writers share each. */
export function streamOf(id: string, streams: number): string {
  let h = 0;
  for (let k = 0; k < id.length; k++) h = (h * 31 + id.charCodeAt(k)) | 0;
  return `user-${Math.abs(h) % Math.max(1, streams)}`;
}

/**
 * A command handler: load the user's stream, decide (create the user, or change the e-mail), append
 * with the version it read. A conflict reloads and decides again; an unknown outcome is not retried
 * (the handler cannot tell whether it landed — it is recorded as `info`).
 */
export async function handleCommand(
  message: OutgoingMessage,
  step: ProducerStep<EventStore>,
  streams: number,
) {
  const stream = streamOf(message.id, streams);
  for (let attempt = 1; attempt <= CONFLICT_RETRIES && step.alive() && !step.signal.aborted; attempt++) {
    let events: UserEvent[];
    try {
      events = await step.store.read(stream);
    } catch {
      await sleep(backoffDelay(RETRY, attempt), step.signal);
      continue;
    }
    const expected = events.length === 0 ? 0 : Math.max(...events.map((e) => e.version));
    const event = {
      id: message.id,
      stream,
      type: expected === 0 ? ('UserCreated' as const) : ('UserEmailChanged' as const),
      email: `${message.id}@example.org`,
    };
    if (!step.alive()) return;
    step.record({ type: 'invoke', f: 'append', id: message.id, stream, expected });
    let outcome: Awaited<ReturnType<EventStore['append']>>;
    try {
      outcome = await step.store.append(event, expected);
    } catch (error) {
      step.record({ type: 'info', f: 'append', id: message.id, stream, error: describe(error) });
      return;
    }
    if (outcome.status === 'ok') {
      step.record({ type: 'ok', f: 'append', id: message.id, stream, version: outcome.version });
      await step.crashAt('after-append');
      return;
    }
    step.record({ type: 'fail', f: 'append', id: message.id, stream, error: 'conflict' });
    await sleep(backoffDelay(RETRY, attempt), step.signal);
  }
}

/**
 * The relay: publishes unsent events in outbox order, each producer those of the streams it owns,
 * so one relay publishes a stream's events, in version order. It runs until every producer is done.
 */
export function relayEvents(step: ProducerStep<EventStore>, producers: number): Promise<void> {
  const owns = (stream: string) => Number(stream.slice('user-'.length)) % producers === step.index;
  return relayOutbox(step, {
    pending: async (limit) =>
      (await step.store.pending(owns, limit)).map((row) => ({
        seq: row.seq,
        message: eventMessage(row.event),
      })),
    markSent: (seq) => step.store.markSent(seq),
    finished: () => step.allFinished(),
  });
}

export function eventMessage(event: UserEvent): OutgoingMessage {
  return {
    id: event.id,
    key: event.stream,
    poison: false,
    payload: new TextEncoder().encode(JSON.stringify(event)),
  };
}

/**
 * The projection: applies each event to the read model if it is the stream's next version (an
 * earlier one still missing is waited for: the message comes back later), skips what it holds.
 */
export async function project(d: Delivery, step: ConsumerStep<EventStore>): Promise<void> {
  if (await step.crashAt('before-process')) return;
  if (!(await step.work())) return;
  const event = JSON.parse(new TextDecoder().decode(d.payload)) as UserEvent;
  let outcome: Awaited<ReturnType<EventStore['apply']>>;
  try {
    // Recorded under the stream's row lock, before the commit: applies of one stream reach the
    // history in the order the store made them, even from different consumer processes (recorded
    // after the commit, the next version's apply could be recorded first).
    outcome = await step.store.apply(step.group, event, () =>
      step.record({ type: 'ok', f: 'apply', id: d.id, stream: event.stream, version: event.version }),
    );
  } catch (error) {
    if (step.alive()) await step.nack(isStoreUnavailableLike(error) ? 'store-error' : 'apply-error', 200);
    return;
  }
  if (!step.alive()) return;
  if (outcome === 'gap') {
    await step.nack('gap', backoffDelay(GAP_RETRY, d.deliveryCount ?? 1));
    return;
  }
  step.processed();
  if (await step.crashAt('after-process')) return;
  if (!(await step.ack())) return;
  await step.crashAt('after-ack');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
