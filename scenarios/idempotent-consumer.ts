import { DEFAULT_SHAPE, workloadArbitrary } from './arbitraries.ts';
import type { Scenario } from './scenario.ts';

/**
 * At-least-once delivery plus an idempotency store keyed by transaction id: redeliveries happen,
 * but each side effect is applied exactly once (effectively-once).
 */
export const idempotentConsumer: Scenario = {
  name: 'idempotent-consumer',
  description:
    'Redeliveries are absorbed by an idempotency store: every side effect is applied exactly once.',
  behaviour: { ack: 'after-process', idempotent: true, producerWindow: 8, sendRetries: 5 },
  unfit: (setup) =>
    setup.ackMode === 'manual' && setup.claim.delivery !== 'at-most-once'
      ? undefined
      : `setup ${setup.name} does not redeliver unacknowledged messages`,
  claim: (setup) => ({
    ...setup.claim,
    delivery: 'effectively-once',
    maxAttempts: undefined,
    ordering: 'none',
  }),
  workload: (options) => workloadArbitrary(DEFAULT_SHAPE, options),
};
