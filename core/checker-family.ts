import type { HistoryEvent } from './events.ts';
import type { AnomalyKind, Claim } from './guarantee.ts';

/**
 * A scenario's own checker family: a pure function over the history, composed by the checker with
 * its core families (loss, duplication, ordering, dead letters, effects). It decides the anomaly
 * kinds it names in `kinds`; the core checker then leaves those kinds to it (the idempotent
 * consumer judges effects from the store's read-back instead of the consumer's own claims).
 *
 * Pure like the rest of the checker: no I/O, no clocks; the same events give the same result.
 */
export interface CheckerFamily {
  readonly name: string;
  /** The anomaly kinds this family decides (counted and exemplified by it alone). */
  readonly kinds: readonly AnomalyKind[];
  /** A fresh pass over one history; events arrive in file order. */
  start(claim: Claim): FamilyPass;
}

export interface FamilyPass {
  add(event: HistoryEvent): void;
  result(): FamilyResult;
}

export interface FamilyAnomaly {
  kind: AnomalyKind;
  id: string;
  group: string;
  /** Indices (`i`) of the events that prove it. */
  events: number[];
  detail: string;
}

export interface FamilyResult {
  /** counts[group][kind], for the kinds the family decides (absent: 0). */
  counts: Record<string, Partial<Record<AnomalyKind, number>>>;
  /** Examples (the checker keeps the first few of each kind). */
  anomalies: FamilyAnomaly[];
  /** Why the family could not decide (e.g. the store was never read back): the verdict is then not `true`. */
  reasons: string[];
  /**
   * What the family measured beside its anomalies, for reports (e.g. `staleReads`: how far reads of
   * a read model lagged the acknowledged writes). Keys are the family's own; never part of the verdict.
   */
  measurements?: Record<string, unknown>;
}
