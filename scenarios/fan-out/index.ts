import { DEFAULT_SHAPE, workloadArbitrary } from '../kit/arbitraries.ts';
import { standardStep } from '../kit/standard-step.ts';
import { type Scenario, STANDARD_CRASH_POINTS } from '../scenario.ts';

/** Several subscriber groups; each must receive and process every message on its own. */
export const fanOut: Scenario = {
  name: 'fan-out',
  description: 'Publish/subscribe: several subscriber groups, each of which must process every message.',
  crashPoints: STANDARD_CRASH_POINTS,
  producing: { window: 8, retries: 5 },
  consume: standardStep({ ack: 'after-process' }),
  unfit: (setup, capabilities) =>
    setup.fanOut && capabilities.fanOut ? undefined : `setup ${setup.name} has no fan-out to several groups`,
  claim: (setup) => ({ ...setup.claim, maxAttempts: undefined, ordering: 'none' }),
  workload: (options) =>
    workloadArbitrary(
      { ...DEFAULT_SHAPE, groups: { min: 2, max: 4 }, consumersPerGroup: { min: 1, max: 2 } },
      options,
    ),
};
