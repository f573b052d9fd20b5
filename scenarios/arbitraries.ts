import * as fc from 'fast-check';
import { forkRandom } from '../core/random.ts';
import { type FaultPlan, isNetworkFault, type NetworkFault, type Stream } from '../faults/fault-plan.ts';
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
  /** Most scheduled faults (network, broker, producer) a case may plan. */
  maxFaults?: number;
}

export const DEFAULT_SHAPE: WorkloadShape = {
  messages: { min: 1, max: 120 },
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

const point = (options: WorkloadOptions) =>
  fc.constantFrom(...(options.crashPoints ?? (['before-process', 'after-process'] as const)));

/** Toxic attributes per network fault (Toxiproxy's names and units). */
const TOXIC_PARAMS: Record<NetworkFault, fc.Arbitrary<Record<string, number>>> = {
  partition: fc.constant({}),
  latency: fc.record({
    latency: fc.integer({ min: 20, max: 800 }),
    jitter: fc.integer({ min: 0, max: 200 }),
  }),
  bandwidth: fc.record({ rate: fc.integer({ min: 1, max: 64 }) }),
  timeout: fc.record({ timeout: fc.constantFrom(0, 500, 2000) }),
  'reset-peer': fc.record({ timeout: fc.integer({ min: 0, max: 1000 }) }),
  slicer: fc.record({
    average_size: fc.integer({ min: 1, max: 64 }),
    size_variation: fc.integer({ min: 0, max: 32 }),
    delay: fc.integer({ min: 0, max: 2000 }),
  }),
  'limit-data': fc.record({ bytes: fc.integer({ min: 1, max: 20_000 }) }),
};

/** A fault before it is placed in time: where in the load (0..1 of it), how long, and how. */
interface FaultDraw {
  kind: FaultPlan['kind'];
  at: number;
  durationMs: number;
  stream: Stream;
  params: Record<string, number>;
}

function faultArbitrary(kinds: readonly FaultPlan['kind'][]): fc.Arbitrary<FaultDraw> {
  return fc.oneof(
    ...kinds.map((kind) =>
      fc.record({
        kind: fc.constant(kind),
        at: fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000),
        durationMs: fc.integer({ min: 100, max: 3000 }),
        stream: fc.constantFrom<Stream>('both', 'downstream', 'upstream'),
        params:
          kind === 'producer-crash'
            ? fc.record({ producer: fc.nat(9) })
            : isNetworkFault(kind)
              ? TOXIC_PARAMS[kind]
              : fc.constant({}),
      }),
    ),
  );
}

/**
 * Draws a workload of the given shape. Everything is drawn independently and made consistent
 * afterwards (a crash's consumer modulo the consumers there are, a fault's time as a fraction of
 * the load), so that fast-check shrinks each part on its own: fewer messages, fewer and shorter
 * faults, no poison.
 */
export function workloadArbitrary(shape: WorkloadShape, options: WorkloadOptions): fc.Arbitrary<Workload> {
  const messages = options.messages !== undefined ? fc.constant(options.messages) : int(shape.messages);
  const crashes = options.faults.has('consumer-crash') ? shape.maxCrashes : 0;
  const minCrashes = Math.min(options.minCrashes ?? 0, crashes);
  const scheduled = [...options.faults].filter((f): f is FaultPlan['kind'] => f !== 'consumer-crash');
  // Faults need time to act on: with any scheduled, producers pace their sends.
  const paced = scheduled.length > 0;
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
      sendIntervalMs: paced ? fc.integer({ min: 10, max: 40 }) : fc.constant(0),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
      crashes: fc.array(
        fc.record({
          consumer: fc.nat(15),
          group: fc.nat(15),
          at: fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000),
          point: point(options),
        }),
        { minLength: minCrashes, maxLength: crashes },
      ),
      faults: paced
        ? fc.array(faultArbitrary(scheduled), { minLength: 1, maxLength: shape.maxFaults ?? 3 })
        : fc.constant<FaultDraw[]>([]),
    })
    .map(({ poisonFraction, crashes: drawnCrashes, faults: drawnFaults, ...w }) => {
      const poisonCount = Math.round(w.messages * poisonFraction);
      const poison = choosePoison(w.messages, poisonCount, w.seed);
      const perConsumer = Math.max(1, Math.ceil(w.messages / w.consumersPerGroup));
      const plans: CrashPlan[] = drawnCrashes.map((c) => ({
        consumer: c.consumer % w.consumersPerGroup,
        group: c.group % w.groups,
        // Deliveries per consumer are about messages / consumers: crash somewhere within that.
        atDelivery: 1 + Math.min(perConsumer - 1, Math.floor(c.at * perConsumer)),
        point: c.point,
      }));
      const loadMs = Math.ceil(w.messages / w.producers) * w.sendIntervalMs;
      const faults: FaultPlan[] = drawnFaults
        .map((f) => ({
          kind: f.kind,
          atMs: Math.round(f.at * loadMs),
          durationMs: f.durationMs,
          // A partition cuts the whole proxy; toxics act on one direction or both.
          ...(isNetworkFault(f.kind) && f.kind !== 'partition' && { stream: f.stream }),
          params:
            f.kind === 'producer-crash' ? { producer: (f.params.producer ?? 0) % w.producers } : f.params,
        }))
        .sort((a, b) => a.atMs - b.atMs);
      return { ...w, poison, crashes: plans, faults } satisfies Workload;
    });
}

/** `count` message indices, spread by the seed (so shrinking the count keeps the choice stable). */
function choosePoison(messages: number, count: number, seed: number): number[] {
  if (count <= 0) return [];
  const random = forkRandom(seed, 'poison');
  const indices = Array.from({ length: messages }, (_, n) => n);
  for (let k = indices.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [indices[k], indices[j]] = [indices[j]!, indices[k]!];
  }
  return indices.slice(0, count).sort((a, b) => a - b);
}
