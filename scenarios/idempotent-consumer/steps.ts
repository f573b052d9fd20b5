import type { Delivery } from '../../drivers/driver.ts';
import { type Backoff, backoffDelay } from '../kit/standard-step.ts';
import type { ConsumerStep } from '../scenario.ts';
import type { Ledger } from './ledger.ts';

type Step = ConsumerStep<Ledger>;

/** How long a message the store could not take waits before it is redelivered, growing per delivery. */
const STORE_RETRY: Backoff = { baseMs: 100, factor: 2, maxMs: 2_000 };

/**
 * The store failed (an outage, a timeout): the handler throws, as an application's would, and the
 * message goes back to the broker to be redelivered. Whether a statement that timed out committed
 * is unknown; the read-back after the drain tells.
 */
async function storeFailed(d: Delivery, step: Step): Promise<void> {
  if (step.alive()) await step.nack('store-error', backoffDelay(STORE_RETRY, d.deliveryCount ?? 1));
}

/** Ends the step once the effect is done: record it, then ack after processing. */
async function finish(step: Step, txn: string, applied: boolean): Promise<void> {
  step.effect(txn, applied);
  step.processed();
  if (await step.crashAt('after-process')) return;
  if (!(await step.ack())) return;
  await step.crashAt('after-ack');
}

/** Shared start: crash before any work, the handler's work, poison and transient failures. */
async function begin(d: Delivery, step: Step): Promise<boolean> {
  if (await step.crashAt('before-process')) return false;
  if (!(await step.work())) return false;
  const failure = step.failure();
  if (failure) {
    await step.nack(failure, 0);
    return false;
  }
  return d !== undefined;
}

/** Credit and processed-id insert in one transaction, then ack: effectively-once. */
export async function dedupeInTransaction(d: Delivery, step: Step): Promise<void> {
  if (!(await begin(d, step))) return;
  let applied: boolean | undefined;
  try {
    applied = await step.store.creditOnce(step.group, d.id, () => step.crashAt('after-effect'));
  } catch {
    return storeFailed(d, step);
  }
  if (applied === undefined || !step.alive()) return;
  await finish(step, d.id, applied);
}

/**
 * Look up the processed id, credit, insert the processed id — three statements, no transaction.
 * A crash (or a store error) between the credit and the insert credits again on redelivery.
 */
export async function checkThenAct(d: Delivery, step: Step): Promise<void> {
  if (!(await begin(d, step))) return;
  try {
    if (await step.store.isProcessed(step.group, d.id)) {
      if (step.alive()) await finish(step, d.id, false);
      return;
    }
    await step.store.credit(step.group, d.id);
    if (!step.alive() || (await step.crashAt('after-effect'))) return;
    await step.store.markProcessed(step.group, d.id);
  } catch {
    return storeFailed(d, step);
  }
  if (step.alive()) await finish(step, d.id, true);
}

/** Ack first, then credit without any dedupe: a crash after the ack loses the credit (at-most-once). */
export async function ackThenCredit(d: Delivery, step: Step): Promise<void> {
  if (!step.ackOnDelivery && !(await step.ack())) return;
  if (await step.crashAt('after-ack')) return;
  if (await step.crashAt('before-process')) return;
  if (!(await step.work())) return;
  // Acknowledged already: a failure can only be logged, the message is gone either way.
  if (step.failure()) return;
  try {
    await step.store.credit(step.group, d.id);
  } catch {
    return;
  }
  if (!step.alive()) return;
  step.effect(d.id, true);
  if (await step.crashAt('after-effect')) return;
  step.processed();
  await step.crashAt('after-process');
}
