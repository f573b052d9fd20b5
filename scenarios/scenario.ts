import type * as fc from 'fast-check';
import type { Claim } from '../core/guarantee.ts';
import type { DriverCapabilities, Setup } from '../drivers/driver.ts';
import type { FaultPlan, NetworkRole } from '../faults/fault-plan.ts';

/**
 * Where a consumer dies while handling a delivery: before the handler processes it, after
 * processing but before the ack (for a pipeline: between the output send and the commit), or right
 * after the ack (or commit) completed.
 */
export const CRASH_POINTS = ['before-process', 'after-process', 'after-ack'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/**
 * A consumer crash planned by the workload: the first consumer of the group to reach the crash
 * point on its n-th delivery or a later one dies there. Whichever consumer gets that far takes it
 * (exactly one does), so the crash fires whenever the group receives about `messages / consumers`
 * deliveries, however the broker spreads them; one that never fires is recorded as cancelled.
 */
export interface CrashPlan {
  group: number;
  /** Dies while handling its n-th delivery or a later one (counted over restarts). */
  atDelivery: number;
  point: CrashPoint;
}

/** Everything fast-check draws for one case. */
export interface Workload {
  messages: number;
  producers: number;
  consumersPerGroup: number;
  groups: number;
  /** Distinct message keys (0: unkeyed). */
  keys: number;
  partitions: number;
  /** Indices of poison messages (the handler always fails them). */
  poison: number[];
  payloadBytes: number;
  /** Handlers take 0..maxProcessingMs per message. */
  maxProcessingMs: number;
  /** Chance that a healthy message fails transiently on its first delivery (then succeeds). */
  transientFailureRate: number;
  crashes: CrashPlan[];
  /**
   * Time between one producer's sends (0: as fast as it can). A paced load lasts about `loadMs`, long
   * enough for every scheduled fault to start, act and heal while producers still send.
   */
  sendIntervalMs: number;
  /** How long the paced load is planned to last (0 when unpaced). */
  loadMs: number;
  /** Network, broker and producer faults, in time order. */
  faults: FaultPlan[];
  /** Seeds every random choice made inside the case. */
  seed: number;
}

/** How the application under test behaves around the broker: the pattern a team builds. */
export interface Behaviour {
  /** When the consumer acknowledges. */
  ack: 'before-process' | 'after-process';
  /** Side effects go through an idempotency store keyed by transaction id. */
  idempotent: boolean;
  /** Failed handling is retried: nack with requeue after an exponential backoff. */
  backoff?: { baseMs: number; factor: number; maxMs: number } | undefined;
  /** Sends each producer keeps in flight (1 keeps per-producer order). */
  producerWindow: number;
  /** A send that failed or whose outcome is unknown is sent again with the same id, up to this often. */
  sendRetries?: number | undefined;
  /**
   * Consume-transform-produce where the setup supports it: consumers forward each message to an
   * output destination with their ack, and processing counts once it is visible downstream.
   */
  pipeline?: boolean | undefined;
}

export interface WorkloadOptions {
  /** Exact message count (the workload draws it otherwise). */
  messages?: number | undefined;
  /**
   * Fault kinds enabled for the run (consumer-crash, …); a network fault may name whose link it
   * cuts (`partition@consumers`), else any role the driver has proxies for is drawn.
   */
  faults: ReadonlySet<string>;
  /** Roles the broker has separate proxies for (default: `all` only). */
  networkRoles?: readonly NetworkRole[] | undefined;
  /**
   * The longest time the broker waits on a silent client before it acts (session timeout,
   * visibility timeout, ack wait): fault durations are drawn up to well past it.
   */
  silenceTimeoutMs?: number | undefined;
  /** Max deliveries before dead-lettering, for scenarios that use a DLQ. */
  maxAttempts?: number | undefined;
  /** At least this many consumer crashes per case (when consumer-crash faults are on). */
  minCrashes?: number | undefined;
  /** How long a paced load is drawn to last (default 2–20 s), and how long scheduled faults last. */
  loadMs?: { min: number; max: number } | undefined;
  faultDurationMs?: { min: number; max: number } | undefined;
  /** Where crashes may strike (all of CRASH_POINTS by default). */
  crashPoints?: readonly CrashPoint[] | undefined;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly behaviour: Behaviour;
  /** Why this scenario cannot run on the setup, or undefined when it can. */
  unfit(setup: Setup, capabilities: DriverCapabilities): string | undefined;
  /** The claim to check: the setup's claim, refined by what this pattern promises. */
  claim(setup: Setup): Claim;
  /**
   * Among setups it fits, the ones it runs on by default (e.g. exactly-once prefers setups that
   * claim it). Without it, any fitting setup will do.
   */
  prefers?(setup: Setup): boolean;
  workload(options: WorkloadOptions): fc.Arbitrary<Workload>;
}

export function backoffDelay(behaviour: Behaviour, attempt: number): number {
  const b = behaviour.backoff;
  if (!b) return 0;
  return Math.min(b.maxMs, Math.round(b.baseMs * b.factor ** Math.max(0, attempt - 1)));
}
