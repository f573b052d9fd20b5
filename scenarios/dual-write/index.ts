import { sleep } from '../../core/clock.ts';
import type { OutgoingMessage } from '../../drivers/driver.ts';
import type { Orders } from '../kit/orders.ts';
import { ORDERS_SCENARIO } from '../kit/orders-scenario.ts';
import { isStoreUnavailableLike } from '../kit/store-errors.ts';
import type { ProducerStep, Scenario } from '../scenario.ts';

const PLACE_ATTEMPTS = 3;

/** Commits the order row (retried on an outage); false when it could not, or the producer died. */
async function commitOrder(message: OutgoingMessage, step: ProducerStep<Orders>): Promise<boolean> {
  for (let attempt = 1; attempt <= PLACE_ATTEMPTS && step.alive() && !step.signal.aborted; attempt++) {
    try {
      const placed = await step.store.place(message, step.index, false, async () => false);
      return placed !== undefined && step.alive();
    } catch (error) {
      if (!isStoreUnavailableLike(error)) return false;
      await sleep(100 * attempt, step.signal);
    }
  }
  return false;
}

/** Commit, then publish: a crash (or a failed publish) in between leaves an order nobody hears of. */
async function commitThenPublish(message: OutgoingMessage, step: ProducerStep<Orders>): Promise<void> {
  if (!(await commitOrder(message, step))) return;
  if (await step.crashAt('after-commit')) return;
  if ((await step.send(message)) === undefined) return;
  await step.crashAt('after-publish');
}

/** Publish, then commit: a crash (or a failed commit) in between sends an order that never existed. */
async function publishThenCommit(message: OutgoingMessage, step: ProducerStep<Orders>): Promise<void> {
  const outcome = await step.send(message);
  if (outcome === undefined || outcome.status !== 'ok') return;
  if (await step.crashAt('after-publish')) return;
  if (!(await commitOrder(message, step))) return;
  await step.crashAt('after-commit');
}

const VARIANTS = [
  {
    name: 'commit-then-publish',
    description: 'Commit the order, then publish it: a crash between the two loses the message.',
  },
  {
    name: 'publish-then-commit',
    description:
      'Publish, then commit the order: a crash between the two publishes an order that never committed.',
  },
] as const;

/**
 * Dual write: the order is committed and published as two separate steps, with no transaction
 * spanning both. It is checked against what teams assume of it — every committed order reaches the
 * consumers, and nothing else does (the setup's delivery claim) — which it cannot keep: with
 * producer crashes it is caught losing (`lost`) or inventing (`phantom`) messages. The outbox
 * scenario is the fix.
 */
export const dualWrite: Scenario<Orders> = {
  name: 'dual-write',
  description:
    'Each order is committed to the database and published to the broker in two steps, without an outbox.',
  variants: VARIANTS,
  producing: {
    window: 8,
    retries: 5,
    produce: (message, step) =>
      step.variant === 'publish-then-commit'
        ? publishThenCommit(message, step)
        : commitThenPublish(message, step),
    crashPoints: ['after-commit', 'after-publish'],
    resendAfterCrash: false,
  },
  ...ORDERS_SCENARIO,
};
