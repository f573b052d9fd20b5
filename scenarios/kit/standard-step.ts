import type { Delivery } from '../../drivers/driver.ts';
import { type ConsumerStep, MID_BATCH } from '../scenario.ts';

/** Exponential backoff between retries of a failed message: base · factor^(attempt−1), capped. */
export interface Backoff {
  baseMs: number;
  factor: number;
  maxMs: number;
}

export function backoffDelay(backoff: Backoff | undefined, attempt: number): number {
  if (!backoff) return 0;
  return Math.min(backoff.maxMs, Math.round(backoff.baseMs * backoff.factor ** Math.max(0, attempt - 1)));
}

export interface StandardStepOptions {
  /** When the consumer acknowledges. */
  ack: 'before-process' | 'after-process';
  /** Failed handling is retried: nack with requeue after an exponential backoff. */
  backoff?: Backoff | undefined;
}

/**
 * The consumer step most patterns share: ack before or after processing, fail poison and transient
 * messages with a (backed-off) requeue, forward when the setup runs a pipeline. Crash points:
 * before processing, after processing (before the ack), after the ack, and mid-batch (after the
 * ack, with more of the batch to come).
 */
export function standardStep(options: StandardStepOptions) {
  return async (d: Delivery, step: ConsumerStep<unknown>): Promise<void> => {
    const ackFirst = options.ack === 'before-process';
    // Auto-ack: the broker forgot the message as it handed it over; the client confirmed nothing.
    if (!step.ackOnDelivery && ackFirst && (!(await step.ack()) || (await midBatch(d, step)))) return;
    if ((step.ackOnDelivery || ackFirst) && (await step.crashAt('after-ack'))) return;
    if (await step.crashAt('before-process')) return;
    if (!(await step.work())) return;

    const failure = step.failure();
    if (failure) {
      await step.nack(failure, backoffDelay(options.backoff, d.deliveryCount ?? 1));
      return;
    }
    if (step.pipeline) return step.forward();

    step.processed();
    if (await step.crashAt('after-process')) return;
    if (!ackFirst && !step.ackOnDelivery) {
      if (!(await step.ack()) || (await midBatch(d, step))) return;
      await step.crashAt('after-ack');
    }
  };
}

/** A crash planned mid-batch strikes after the ack of a delivery with more of its batch to come. */
async function midBatch(d: Delivery, step: ConsumerStep<unknown>): Promise<boolean> {
  return d.batch !== undefined && d.batch.index < d.batch.size - 1 && step.crashAt(MID_BATCH);
}
