import { sleep } from '../../core/clock.ts';
import type { OutgoingMessage } from '../../drivers/driver.ts';
import type { Orders } from '../kit/orders.ts';
import { ORDERS_SCENARIO } from '../kit/orders-scenario.ts';
import { relayOutbox } from '../kit/relay.ts';
import { isStoreUnavailableLike } from '../kit/store-errors.ts';
import type { ProducerStep, Scenario } from '../scenario.ts';

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

/** The relay publishes this producer's own outbox rows. */
function relay(step: ProducerStep<Orders>): Promise<void> {
  return relayOutbox(step, {
    pending: (limit) => step.store.pending(step.index, limit),
    markSent: (seq) => step.store.markSent(seq),
    finished: () => step.finished(),
  });
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
