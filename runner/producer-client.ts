import type { OutgoingMessage, Producer, SendOutcome } from '../drivers/driver.ts';
import type { Recorder } from './recorder.ts';

export interface ProducerClientOptions {
  name: string;
  dest: string;
  producer: Producer;
  recorder: Recorder;
  /** Sends kept in flight at once (1 keeps this producer's order). */
  window: number;
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
  const { name, dest, producer, recorder, signal } = options;
  let next = 0;
  const lane = async () => {
    while (next < messages.length && !signal.aborted) {
      const message = messages[next++]!;
      recorder.record({
        p: name,
        type: 'invoke',
        f: 'send',
        id: message.id,
        dest,
        ...(message.key !== undefined && { key: message.key }),
        ...(message.poison && { poison: true }),
      });
      let outcome: SendOutcome;
      try {
        outcome = await producer.send(message);
      } catch (error) {
        // A driver should not throw for a broker outcome; if one does, the outcome is unknown.
        outcome = { status: 'info', error: `driver threw: ${(error as Error).message}` };
      }
      if (outcome.status === 'ok') {
        recorder.record({
          p: name,
          type: 'ok',
          f: 'send',
          id: message.id,
          ...(outcome.partition !== undefined && { partition: outcome.partition }),
          ...(outcome.offset !== undefined && { offset: outcome.offset }),
        });
      } else {
        recorder.record({ p: name, type: outcome.status, f: 'send', id: message.id, error: outcome.error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.window) }, lane));
}
