import { sleep } from '../core/clock.ts';
import type { EventInput } from '../core/events.ts';
import type { OutgoingMessage, Producer, SendOutcome } from '../drivers/driver.ts';
import type { Recorder } from './recorder.ts';

export interface ProducerClientOptions {
  name: string;
  dest: string;
  producer: Producer;
  recorder: Recorder;
  /** Sends kept in flight at once (1 keeps this producer's order). */
  window: number;
  /** Sends retried (same id) after a `fail` or `info` outcome. */
  retries: number;
  signal: AbortSignal;
}

/**
 * Sends its messages with a bounded window and records each send as an invoke and its completion:
 * `ok` (the broker took it), `fail` (it definitely did not), `info` (nobody knows).
 */
export async function runProducer(
  messages: readonly OutgoingMessage[],
  options: ProducerClientOptions,
): Promise<void> {
  const { signal } = options;
  let next = 0;
  const lane = async () => {
    while (next < messages.length && !signal.aborted) {
      const message = messages[next++]!;
      // A send that did not succeed is sent again, same id, as an application would retry it.
      for (let attempt = 0; attempt <= options.retries && !signal.aborted; attempt++) {
        if (attempt > 0) await sleep(RETRY_DELAY_MS * attempt, signal);
        if ((await sendOnce(message, options)) === 'ok') break;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.window) }, lane));
}

const RETRY_DELAY_MS = 20;

async function sendOnce(
  message: OutgoingMessage,
  options: ProducerClientOptions,
): Promise<SendOutcome['status']> {
  const { name, dest, producer, recorder } = options;
  const invoke: EventInput & Record<string, unknown> = {
    p: name,
    type: 'invoke',
    f: 'send',
    id: message.id,
    dest,
  };
  if (message.key !== undefined) invoke.key = message.key;
  if (message.poison) invoke.poison = true;
  recorder.record(invoke);
  let outcome: SendOutcome;
  try {
    outcome = await producer.send(message);
  } catch (error) {
    // A driver should not throw for a broker outcome; if one does, the outcome is unknown.
    outcome = { status: 'info', error: `driver threw: ${(error as Error).message}` };
  }
  if (outcome.status === 'ok') {
    const ok: EventInput & Record<string, unknown> = { p: name, type: 'ok', f: 'send', id: message.id };
    if (outcome.partition !== undefined) ok.partition = outcome.partition;
    if (outcome.offset !== undefined) ok.offset = outcome.offset;
    recorder.record(ok);
  } else {
    recorder.record({ p: name, type: outcome.status, f: 'send', id: message.id, error: outcome.error });
  }
  return outcome.status;
}
