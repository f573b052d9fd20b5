import { DEFAULT_SHAPE, workloadArbitrary } from './arbitraries.ts';
import type { Scenario } from './scenario.ts';

/** Several subscriber groups; each must receive and process every message on its own. */
export const fanOut: Scenario = {
  name: 'fan-out',
  description: 'Publish/subscribe: several subscriber groups, each of which must process every message.',
  behaviour: { ack: 'after-process', idempotent: false, producerWindow: 8, sendRetries: 5 },
  unfit: (setup, capabilities) =>
    setup.fanOut && capabilities.fanOut ? undefined : `setup ${setup.name} has no fan-out to several groups`,
  claim: (setup) => ({ ...setup.claim, maxAttempts: undefined, ordering: 'none' }),
  workload: (options) =>
    workloadArbitrary(
      { ...DEFAULT_SHAPE, groups: { min: 2, max: 4 }, consumersPerGroup: { min: 1, max: 2 } },
      options,
    ),
};
