import * as fc from 'fast-check';
import type { CrashPlan, Workload, WorkloadOptions } from './scenario.ts';

export interface Range {
  min: number;
  max: number;
}

export interface WorkloadShape {
  messages: Range;
  producers: Range;
  consumersPerGroup: Range;
  groups: Range;
  keys: Range;
  partitions: Range;
  /** Fraction of messages that are poison. */
  poisonFraction: Range;
  payloadBytes: Range;
  maxProcessingMs: Range;
  transientFailureRate: Range;
  /** Most consumer crashes a case may plan (when consumer-crash faults are on). */
  maxCrashes: number;
}

export const DEFAULT_SHAPE: WorkloadShape = {
  messages: { min: 10, max: 120 },
  producers: { min: 1, max: 3 },
  consumersPerGroup: { min: 1, max: 4 },
  groups: { min: 1, max: 1 },
  keys: { min: 0, max: 0 },
  partitions: { min: 1, max: 1 },
  poisonFraction: { min: 0, max: 0 },
  payloadBytes: { min: 16, max: 512 },
  maxProcessingMs: { min: 0, max: 4 },
  transientFailureRate: { min: 0, max: 0 },
  maxCrashes: 2,
};

const int = (r: Range) => fc.integer({ min: r.min, max: r.max });
const fraction = (r: Range) =>
  r.min === r.max
    ? fc.constant(r.min)
    : fc.double({ min: r.min, max: r.max, noNaN: true, noDefaultInfinity: true });

function crashArbitrary(options: WorkloadOptions, messages: number, groups: number, consumers: number) {
  return fc.record<CrashPlan>({
    consumer: fc.integer({ min: 0, max: consumers - 1 }),
    group: fc.integer({ min: 0, max: groups - 1 }),
    // Deliveries per consumer are about messages / consumers; crash somewhere within that.
    atDelivery: fc.integer({ min: 1, max: Math.max(1, Math.ceil(messages / consumers)) }),
    point: fc.constantFrom(...(options.crashPoints ?? (['before-process', 'after-process'] as const))),
  });
}

/**
 * Draws a workload of the given shape. Sizes are drawn first, then what depends on them (which
 * messages are poison, where crashes land), so shrinking keeps cases consistent.
 */
export function workloadArbitrary(shape: WorkloadShape, options: WorkloadOptions): fc.Arbitrary<Workload> {
  const messages = options.messages !== undefined ? fc.constant(options.messages) : int(shape.messages);
  const crashes = options.faults.has('consumer-crash') ? shape.maxCrashes : 0;
  const minCrashes = Math.min(options.minCrashes ?? 0, crashes);
  return fc
    .record({
      messages,
      producers: int(shape.producers),
      consumersPerGroup: int(shape.consumersPerGroup),
      groups: int(shape.groups),
      keys: int(shape.keys),
      partitions: int(shape.partitions),
      poisonFraction: fraction(shape.poisonFraction),
      payloadBytes: int(shape.payloadBytes),
      maxProcessingMs: int(shape.maxProcessingMs),
      transientFailureRate: fraction(shape.transientFailureRate),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
    })
    .chain((w) => {
      const poisonCount = Math.round(w.messages * w.poisonFraction);
      const poison =
        poisonCount === 0
          ? fc.constant<number[]>([])
          : fc.uniqueArray(fc.integer({ min: 0, max: w.messages - 1 }), {
              minLength: poisonCount,
              maxLength: poisonCount,
            });
      const crashPlans =
        crashes === 0
          ? fc.constant<CrashPlan[]>([])
          : fc.array(crashArbitrary(options, w.messages, w.groups, w.consumersPerGroup), {
              minLength: minCrashes,
              maxLength: crashes,
            });
      return fc.record({ poison, crashes: crashPlans }).map(({ poison, crashes }) => {
        const { poisonFraction: _, ...rest } = w;
        return { ...rest, poison: [...poison].sort((a, b) => a - b), crashes } satisfies Workload;
      });
    });
}
