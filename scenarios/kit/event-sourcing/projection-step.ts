import type { Delivery, Setup } from '../../../drivers/driver.ts';
import type { ConsumerStep } from '../../scenario.ts';
import { isStoreUnavailableLike } from '../store-errors.ts';
import { eventOf } from './commands.ts';
import type { ApplyHooks, LoggedEvent, ProjectionOutcome } from './event-log.ts';

/**
 * An event ahead of the read model comes back later the further ahead it is (10 ms per missing
 * version, at most 2 s): the events of a stream then return about in version order. A fixed or
 * per-attempt backoff brings them back in the order they were given back, and after one lost
 * predecessor a projection applied about one event per round (498 events took over 50 s on the
 * memory broker, where the drain deadline is 20 s).
 */
export function gapDelay(missing: number): number {
  return Math.min(GAP_MAX_MS, GAP_STEP_MS * Math.max(1, missing));
}
const GAP_STEP_MS = 10;
const GAP_MAX_MS = 2_000;

/** How a projection changes its read model (see `ApplyHooks`). */
export type ApplyTo = (event: LoggedEvent, hooks: ApplyHooks) => Promise<ProjectionOutcome>;

/**
 * A projection's consumer step: applies the delivered event (an earlier one still missing is waited
 * for: the message comes back later; a held one is skipped), then acks. The apply is recorded while
 * the read model holds the stream's lock, before the commit, so the applies of one stream reach the
 * history in the order the store made them, whichever consumer made them.
 */
export async function projectionStep(
  d: Delivery,
  step: ConsumerStep<unknown>,
  applyTo: ApplyTo,
): Promise<void> {
  if (await step.crashAt('before-process')) return;
  if (!(await step.work())) return;
  const event = eventOf(d);
  let outcome: Awaited<ReturnType<ApplyTo>>;
  try {
    outcome = await applyTo(event, {
      alive: () => step.alive(),
      applying: () =>
        step.record({ type: 'ok', f: 'apply', id: d.id, stream: event.stream, version: event.version }),
    });
  } catch (error) {
    if (step.alive()) await step.nack(isStoreUnavailableLike(error) ? 'store-error' : 'apply-error', 200);
    return;
  }
  if (!step.alive() || outcome === 'died') return;
  if (typeof outcome === 'object') {
    await step.nack('gap', gapDelay(outcome.gap));
    return;
  }
  step.processed();
  if (await step.crashAt('after-process')) return;
  if (!(await step.ack())) return;
  await step.crashAt('after-ack');
}

/**
 * Why a setup cannot carry a projection's events: they must come back until applied — a projection
 * gives back an event whose predecessor is missing, so a delivery limit would dead-letter it.
 */
export function projectionUnfit(setup: Setup): string | undefined {
  if (setup.ackMode !== 'manual' || setup.claim.delivery === 'at-most-once')
    return `setup ${setup.name} does not redeliver unacknowledged messages`;
  if (setup.claim.maxAttempts !== undefined)
    return `setup ${setup.name} dead-letters after ${setup.claim.maxAttempts} deliveries: an event waiting for its predecessor would be lost`;
  return undefined;
}
