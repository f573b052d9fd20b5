import type { CheckerFamily, FamilyResult } from '../../../core/checker-family.ts';
import { convergenceFamily } from './convergence.ts';
import { projectionFamily } from './projection-checker.ts';
import { eventStoreFamily } from './store-checker.ts';

export type { ConvergenceAfterFault } from './convergence.ts';
export { PROJECTION_KINDS, projectionFamily } from './projection-checker.ts';
export type { LagDistribution, StaleReadMeasurement } from './staleness.ts';
export type { AppendTally } from './store-checker.ts';
export { eventStoreFamily, STORE_GROUP } from './store-checker.ts';

/**
 * Event sourcing and CQRS judged as one family (a scenario brings one): the event store's family,
 * the projections' family and the convergence measurement side by side, their counts, examples,
 * reasons and measurements put together.
 */
export const eventSourcingChecker: CheckerFamily = {
  name: 'event-sourcing',
  kinds: [...eventStoreFamily.kinds, ...projectionFamily.kinds],
  start(claim) {
    const passes = [eventStoreFamily, projectionFamily, convergenceFamily].map((f) => f.start(claim));
    return {
      add(e) {
        for (const pass of passes) pass.add(e);
      },
      result() {
        const merged: FamilyResult = { counts: {}, anomalies: [], reasons: [] };
        for (const r of passes.map((pass) => pass.result())) {
          for (const [group, counts] of Object.entries(r.counts))
            merged.counts[group] = { ...merged.counts[group], ...counts };
          merged.anomalies.push(...r.anomalies);
          merged.reasons.push(...r.reasons);
          if (r.measurements) merged.measurements = { ...merged.measurements, ...r.measurements };
        }
        return merged;
      },
    };
  },
};
