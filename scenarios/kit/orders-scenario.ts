import type { Scenario } from '../scenario.ts';
import { STANDARD_CRASH_POINTS } from '../scenario.ts';
import { DEFAULT_SHAPE, workloadArbitrary } from './arbitraries.ts';
import { type Orders, openOrders, readBackOrders } from './orders.ts';
import { producedFromStore } from './produced-from-store.ts';
import { standardStep } from './standard-step.ts';

/**
 * What the outbox and the dual write share: the orders store and its read-back, consumers that ack
 * after processing, the at-least-once claim teams make of "every committed order is published", and
 * the checker family that judges it from the committed orders.
 */
export const ORDERS_SCENARIO: Pick<
  Scenario<Orders>,
  'crashPoints' | 'unfit' | 'claim' | 'workload' | 'consume' | 'store' | 'checker'
> = {
  crashPoints: STANDARD_CRASH_POINTS,
  unfit: (setup) =>
    setup.ackMode === 'manual' && setup.claim.delivery !== 'at-most-once'
      ? undefined
      : `setup ${setup.name} does not redeliver unacknowledged messages`,
  claim: (setup) => ({ ...setup.claim, delivery: 'at-least-once', maxAttempts: undefined, ordering: 'none' }),
  workload: (options) => workloadArbitrary({ ...DEFAULT_SHAPE, messages: { min: 1, max: 1000 } }, options),
  consume: standardStep({ ack: 'after-process' }),
  store: {
    open: (access, { create }) => openOrders(access, create),
    readBack: readBackOrders,
  },
  checker: producedFromStore,
};
