import { sleep } from '../../core/clock.ts';
import type { OutgoingMessage } from '../../drivers/driver.ts';
import type { Orders } from '../kit/orders.ts';
import { ORDERS_SCENARIO } from '../kit/orders-scenario.ts';
import { isStoreUnavailableLike } from '../kit/store-errors.ts';
import type { ProducerStep, Scenario } from '../scenario.ts';

/** Rows the relay takes per poll, and how long it waits when there are none. */
const RELAY_BATCH = 50;
const RELAY_IDLE_MS = 20;
/** A request that hit a store error is tried again this often, as a client would retry it. */
const PLACE_ATTEMPTS = 3;

/**
 * The producer side of the transactional outbox: the order row and its outbox row commit in one
 * transaction. Crash point `before-commit` rolls both back (nothing was produced).
 */
async function placeOrder(message: OutgoingMessage, step: ProducerStep<Orders>): Promise<void> {
  for (let attempt = 1; attempt <= PLACE_ATTEMPTS && step.alive() && !step.signal.aborted; attempt++) {
    try {
      await step.store.place(message, step.index, true, () => step.crashAt('before-commit'));
      if (step.alive()) await step.crashAt('after-commit');
      return;
    } catch (error) {
      // A definite refusal fails the request; an outage is tried again.
      if (!isStoreUnavailableLike(error)) return;
      await sleep(100 * attempt, step.signal);
    }
  }
}

/**
 * The relay, in the producer's process: publishes this producer's unsent outbox rows oldest first
 * and marks each sent after the broker took it. A crash between the two (`after-publish`)
 * publishes the row again after the restart: duplicates, which at-least-once allows.
 */
async function relay(step: ProducerStep<Orders>): Promise<void> {
  while (step.alive() && !step.signal.aborted) {
    // Asked before the poll: a row committed after an empty poll is then still seen by the next one.
    const finished = step.finished();
    let rows: Awaited<ReturnType<Orders['pending']>>;
    try {
      rows = await step.store.pending(step.index, RELAY_BATCH);
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
        await step.store.markSent(row.seq);
      } catch {
        break;
      }
    }
  }
}

/** Transactional outbox: business row + outbox row in one transaction; a relay publishes the outbox. */
export const outbox: Scenario<Orders> = {
  name: 'outbox',
  description:
    'Orders and their outbox rows commit in one transaction; a relay publishes unsent outbox rows and marks them sent.',
  producing: {
    window: 8,
    retries: 5,
    produce: placeOrder,
    background: relay,
    crashPoints: ['before-commit', 'after-commit', 'after-publish'],
    // The order request dies with the process; the outbox keeps what committed.
    resendAfterCrash: false,
  },
  ...ORDERS_SCENARIO,
};
