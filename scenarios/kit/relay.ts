import { sleep } from '../../core/clock.ts';
import type { OutgoingMessage } from '../../drivers/driver.ts';
import type { ProducerStep } from '../scenario.ts';

/** Rows a relay takes per poll, and how long it waits when there are none. */
const RELAY_BATCH = 50;
const RELAY_IDLE_MS = 20;

/** Where a relay reads its unsent outbox rows and marks them sent. */
export interface RelaySource {
  pending(limit: number): Promise<{ seq: number; message: OutgoingMessage }[]>;
  markSent(seq: number): Promise<void>;
  /** Nothing more will be written for this relay (its producer, or every producer, is done). */
  finished(): boolean;
}

/**
 * An outbox relay in the producer's process: publishes unsent rows oldest first and marks each
 * sent once the broker took it. A crash between the two (`after-publish`) publishes the row again
 * after the restart: duplicates, which at-least-once allows. Returns once `finished` and the outbox
 * is empty, or when the producer dies or the load ends.
 */
export async function relayOutbox(step: ProducerStep<unknown>, source: RelaySource): Promise<void> {
  while (step.alive() && !step.signal.aborted) {
    // Asked before the poll: a row committed after an empty poll is then still seen by the next one.
    const finished = source.finished();
    let rows: Awaited<ReturnType<RelaySource['pending']>>;
    try {
      rows = await source.pending(RELAY_BATCH);
    } catch {
      await sleep(100, step.signal);
      continue;
    }
    if (rows.length === 0) {
      if (finished) return;
      await sleep(RELAY_IDLE_MS, step.signal);
      continue;
    }
    for (const row of rows) {
      const outcome = await step.send(row.message, `relay-${step.index}`);
      if (outcome === undefined) return; // died
      if (outcome.status !== 'ok') break; // the broker did not take it: try again later
      if (await step.crashAt('after-publish')) return;
      try {
        await source.markSent(row.seq);
      } catch {
        break;
      }
    }
  }
}
