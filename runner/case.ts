import type { Anomaly } from '../checker/anomalies.ts';
import type { Counts, Validity } from '../checker/check.ts';
import type { RetryIntervalStats } from '../checker/retry-intervals.ts';
import type { HistoryEvent } from '../core/events.ts';
import type { AnomalyKind, Claim } from '../core/guarantee.ts';
import type { StoreKind } from '../core/store.ts';
import type { Setup } from '../drivers/driver.ts';
import type { HandlerStoreConfig } from '../scenarios/kit/handler-store.ts';
import type { Scenario, Workload } from '../scenarios/scenario.ts';
import type { CaseCoverage } from './coverage.ts';

/** One case to run: a scenario on a driver's setup, with a drawn workload and what to check. */
export interface CasePlan {
  id: string;
  driver: string;
  setup: Setup;
  scenario: Scenario;
  /** The scenario's variant (default: its first, when it declares any). */
  variant?: string | undefined;
  /** Where the scenario keeps its state; undefined when it keeps none. */
  store?: StoreKind | undefined;
  claim: Claim;
  workload: Workload;
  faults: readonly string[];
  /** fast-check seed and path: together they redraw this exact workload. */
  seed: number;
  path: string;
}

export interface FaultSpan {
  fault: string;
  target: string;
  params?: Record<string, unknown>;
  /** Cluster faults: the nodes it hit, and the leader the broker reported before it. */
  nodes?: string[];
  leader?: string;
  /** Cluster faults: the leader the broker reported once the fault was healed. */
  leaderAfter?: string;
  startT: number;
  stopT?: number;
  error?: string;
}

/** What a finished (or aborted) case left behind; `results.json` holds a list of these. */
export interface CaseResult {
  id: string;
  driver: string;
  setup: string;
  scenario: string;
  /** The scenario's variant, when it declares variants. */
  variant?: string | undefined;
  /** Where the scenario kept its state (memory or postgres), when it keeps any. */
  store?: StoreKind | undefined;
  guarantee: Claim;
  /** The setup's options as the driver built them (a custom setup's resolved options included). */
  setupOptions?: Readonly<Record<string, unknown>> | undefined;
  /** A custom setup (from the config): the built-in setup it extends, as `driver/setup`. */
  setupExtends?: string | undefined;
  /** Your handler's module, when it ran in place of the scenario's simulated processing. */
  handler?: string | undefined;
  /** Your handler's store (tables and effects query), when it had one. */
  handlerStore?: HandlerStoreConfig | undefined;
  /**
   * Where the claim comes from: what the setup's configuration gives, or the vendor's own claim
   * (quoted in `vendorClaim`), which brokerproof tests without endorsing.
   */
  claimBasis?: 'configuration' | 'vendor' | undefined;
  vendorClaim?: string | undefined;
  /** The setup as configured, and where its claim stops holding. */
  setupDescription?: string | undefined;
  seed: number;
  path: string;
  valid: Validity;
  counts: Counts;
  groups: Record<string, { counts: Counts }>;
  violations: AnomalyKind[];
  /** Why the verdict is "unknown", when it is. */
  reasons: string[];
  anomalies: Anomaly[];
  /** What the scenario's checker families measured (e.g. `staleReads`), when they measured anything. */
  measurements?: Record<string, unknown> | undefined;
  /** The events anomaly examples point at, by index. */
  evidence: Record<number, HistoryEvent>;
  /** History file, relative to the report directory. */
  history: string;
  workload: Workload;
  faults: readonly string[];
  /** Phase changes (µs since the case started); `cutOff` marks a drain ended by its deadline. */
  phases: { phase: string; t: number; cutOff?: boolean }[];
  /** Consumer and producer crashes that fired (µs since the case started), with the crash point. */
  crashes: { target: string; t: number; point?: string }[];
  /** Network, broker and producer faults: when each started and was healed (µs), or why it failed. */
  faultTimeline: FaultSpan[];
  /** Which drawn faults and crash points fired, for how long, and what the broker redelivered after each. */
  coverage?: CaseCoverage | undefined;
  retryIntervals: RetryIntervalStats[];
  diagnostics: Record<string, unknown>;
  events: number;
  durationMs: number;
  /** An error that stopped the case (broker unreachable, driver failure). */
  error?: string;
  /** The minimal violating case shrinking found (replay it by its path). */
  counterexample?: boolean;
}

/** The variant a case runs: the one it names, else the scenario's first ('' when it has none). */
export function variantOf(plan: Pick<CasePlan, 'variant' | 'scenario'>): string {
  return plan.variant ?? plan.scenario.variants?.[0]?.name ?? '';
}
