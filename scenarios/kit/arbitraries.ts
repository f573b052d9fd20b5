import * as fc from 'fast-check';
import { forkRandom } from '../../core/random.ts';
import { type FaultDraw, placeFaults } from '../../faults/fault-placement.ts';
import {
  type FaultPlan,
  type FaultRole,
  isClusterFault,
  isNetworkFault,
  type NetworkFault,
  parseFaultSpec,
  type Stream,
} from '../../faults/fault-plan.ts';
import { CRASH_POINTS, type CrashPlan, type Workload, type WorkloadOptions } from '../scenario.ts';

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

/**
 * Cases are drawn at sizes that can matter — hundreds to thousands of messages — and shrinking, not
 * the first draw, makes a failing case small.
 */
export const DEFAULT_SHAPE: WorkloadShape = {
  messages: { min: 1, max: 2000 },
  producers: { min: 1, max: 3 },
  consumersPerGroup: { min: 1, max: 4 },
  groups: { min: 1, max: 1 },
  keys: { min: 0, max: 0 },
  partitions: { min: 1, max: 1 },
  poisonFraction: { min: 0, max: 0 },
  payloadBytes: { min: 16, max: 512 },
  maxProcessingMs: { min: 0, max: 4 },
  transientFailureRate: { min: 0, max: 0 },
  maxCrashes: 3,
};

const int = (r: Range) => fc.integer({ min: r.min, max: r.max });
const fraction = (r: Range) =>
  r.min === r.max
    ? fc.constant(r.min)
    : fc.double({ min: r.min, max: r.max, noNaN: true, noDefaultInfinity: true });

/**
 * Uniform over the range: fast-check's bias towards small values would make first draws tiny. It
 * still shrinks towards the minimum.
 */
const spread = (r: Range) => (r.min === r.max ? fc.constant(r.min) : fc.noBias(int(r)));

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

/** Fault durations: from a blip to well past the broker's timeouts for a silent client. */
export function faultDurationRange(silenceTimeoutMs: number | undefined): Range {
  return { min: 200, max: Math.max(3_000, Math.round(2.5 * (silenceTimeoutMs ?? 2_000))) };
}

function faultArbitrary(
  kinds: readonly { kind: FaultPlan['kind']; roles: readonly FaultRole[] }[],
  durations: Range,
): fc.Arbitrary<FaultDraw> {
  return fc.oneof(
    ...kinds.map(({ kind, roles }) =>
      fc.record({
        kind: fc.constant(kind),
        at: fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000),
        durationMs: spread(durations),
        stream: fc.constantFrom<Stream>('both', 'downstream', 'upstream'),
        role: fc.constantFrom(...roles),
        params:
          kind === 'producer-crash'
            ? fc.record({ producer: fc.nat(9) })
            : isClusterFault(kind) && kind !== 'isolate-leader' && kind !== 'kill-leader'
              ? // Which node (or where the minority / ring starts), reduced to the cluster's size when applied.
                fc.record({ node: fc.nat(8) })
              : isNetworkFault(kind)
                ? roles.includes('consumer')
                  ? // Which consumer, should the role be `consumer`: reduced to the case's consumers later.
                    fc
                      .tuple(TOXIC_PARAMS[kind], fc.nat(15))
                      .map(([toxic, consumer]) => ({ ...toxic, consumer }))
                  : TOXIC_PARAMS[kind]
                : fc.constant({}),
      }),
    ),
  );
}

/**
 * The scheduled fault kinds of a run, each with the roles it may target: `partition@consumers`
 * pins one, a bare network fault draws among the roles the broker has proxies for; `@consumer`
 * faults cut one drawn consumer's link; `@store` faults hit the scenario's store instead of the broker.
 */
export function scheduledFaults(options: WorkloadOptions): { kind: FaultPlan['kind']; roles: FaultRole[] }[] {
  const byKind = new Map<FaultPlan['kind'], Set<FaultRole>>();
  const available = options.networkRoles?.length ? options.networkRoles : (['all'] as const);
  for (const entry of options.faults) {
    const spec = parseFaultSpec(entry);
    if (!spec || spec.kind === 'consumer-crash') continue;
    const { kind, role } = spec;
    const roles = byKind.get(kind) ?? new Set<FaultRole>();
    // `@store` and `@consumer` only when named: a bare fault never draws them.
    if (role === 'store' || role === 'consumer') roles.add(role);
    else if (!isNetworkFault(kind)) roles.add('all');
    else if (role) roles.add(role);
    else for (const r of available) roles.add(r);
    byKind.set(kind, roles);
  }
  return [...byKind].map(([kind, roles]) => ({ kind, roles: [...roles] }));
}

/**
 * Draws a workload of the given shape. Everything is drawn independently and made consistent
 * afterwards (a crash's delivery within what a consumer will get, faults placed inside the paced
 * load and never two on one target at once), so that fast-check shrinks each part on its own:
 * fewer messages, fewer and shorter faults, no poison.
 */
export function workloadArbitrary(shape: WorkloadShape, options: WorkloadOptions): fc.Arbitrary<Workload> {
  const messages = options.messages !== undefined ? fc.constant(options.messages) : spread(shape.messages);
  const crashes = options.faults.has('consumer-crash')
    ? Math.max(1, Math.min(shape.maxCrashes, options.maxCrashes ?? shape.maxCrashes))
    : 0;
  // A run that asks for consumer crashes gets at least one in every case.
  const minCrashes = Math.min(Math.max(1, options.minCrashes ?? 1), crashes);
  const scheduled = scheduledFaults(options);
  // Faults need time to act on: with any scheduled, producers pace their sends over the load.
  const paced = scheduled.length > 0 || options.paced === true;
  const points = options.crashPoints?.length ? options.crashPoints : CRASH_POINTS;
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
      loadMs: paced ? spread(options.loadMs ?? { min: 2_000, max: 20_000 }) : fc.constant(0),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
      crashes: fc.array(
        fc.record({
          group: fc.nat(15),
          at: fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000),
          point: fc.constantFrom(...points),
        }),
        { minLength: minCrashes, maxLength: crashes },
      ),
      faults:
        scheduled.length > 0
          ? fc.array(
              faultArbitrary(
                scheduled,
                options.faultDurationMs ?? faultDurationRange(options.silenceTimeoutMs),
              ),
              {
                minLength: Math.max(1, options.minFaults ?? 1),
                maxLength: Math.max(options.minFaults ?? 1, options.maxFaults ?? shape.maxFaults ?? 3),
              },
            )
          : fc.constant<FaultDraw[]>([]),
    })
    .map(({ poisonFraction, crashes: drawnCrashes, faults: drawnFaults, loadMs: drawnLoadMs, ...w }) => {
      const poisonCount = Math.round(w.messages * poisonFraction);
      const poison = choosePoison(w.messages, poisonCount, w.seed);
      // The busiest consumer of a group gets at least this many deliveries once all arrive; crashes
      // are planned within the first half of that, so they still fire when faults make sends fail.
      const perConsumer = Math.max(1, Math.ceil(w.messages / w.consumersPerGroup / 2));
      const plans: CrashPlan[] = drawnCrashes.map((c) => ({
        group: c.group % w.groups,
        atDelivery: 1 + Math.min(perConsumer - 1, Math.floor(c.at * perConsumer)),
        point: c.point,
      }));
      const faults = placeFaults(
        drawnFaults.map((f) => fitToCase(f, w.producers, w.groups * w.consumersPerGroup)),
        drawnLoadMs,
      );
      const perProducer = Math.ceil(w.messages / w.producers);
      const sendIntervalMs = paced ? faults.loadMs / perProducer : 0;
      return {
        ...w,
        poison,
        crashes: plans,
        faults: faults.plans,
        loadMs: paced ? faults.loadMs : 0,
        sendIntervalMs,
      } satisfies Workload;
    });
}
/**
 * A drawn fault made to fit the case: a producer crash hits one of its producers, a fault on one
 * consumer's link one of its consumers (numbered group by group, as the runner creates them).
 */
function fitToCase(f: FaultDraw, producers: number, consumers: number): FaultDraw {
  if (f.kind === 'producer-crash')
    return { ...f, params: { producer: (f.params.producer ?? 0) % producers } };
  if (!('consumer' in f.params)) return f;
  const { consumer, ...toxic } = f.params;
  return f.role === 'consumer'
    ? { ...f, params: { ...toxic, consumer: (consumer ?? 0) % consumers } }
    : { ...f, params: toxic };
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
