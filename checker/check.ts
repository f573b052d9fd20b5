import type { CheckerFamily, FamilyPass } from '../core/checker-family.ts';
import type { HistoryEvent } from '../core/events.ts';
import {
  ABSENCE_KINDS,
  ANOMALY_KINDS,
  type AnomalyKind,
  type Claim,
  forbiddenAnomalies,
  INFORMATIONAL_KINDS,
} from '../core/guarantee.ts';
import { type Anomaly, AnomalyCollector } from './anomalies.ts';
import { checkDeadLetters } from './dead-letter.ts';
import { checkDuplication } from './duplication.ts';
import { checkEffects } from './effects.ts';
import { type FaultIntegrity, FaultIntegrityTracker } from './fault-integrity.ts';
import { checkLoss } from './loss.ts';
import { MessageIndex } from './message-index.ts';
import { checkOrdering } from './ordering.ts';
import { checkSends, isAcknowledged, isAttempted, isFailed, isIndeterminate } from './sends.ts';

export type Validity = true | false | 'unknown';

export const COUNT_NAMES = [
  ...ANOMALY_KINDS,
  'extraProcessing',
  'attempted',
  'acknowledged',
  'failed',
  'indeterminate',
  'delivered',
  'processed',
  'deadLettered',
] as const;
export type CountName = (typeof COUNT_NAMES)[number];
export type Counts = Record<CountName, number>;

export interface CheckOptions {
  claim: Claim;
  /** Groups named by the meta line (each must receive everything even if it saw nothing). */
  groups?: readonly string[];
  /** Examples kept per anomaly kind; counts stay exact. */
  examplesPerKind?: number;
  /** Why the history is known to be incomplete (a truncated file), if it is. */
  incomplete?: string | undefined;
  /**
   * The scenario's own checker families (from the meta line's scenario): each decides the anomaly
   * kinds it names, in place of the core families.
   */
  families?: readonly CheckerFamily[] | undefined;
}

export interface CheckResult {
  valid: Validity;
  guarantee: Claim;
  counts: Counts;
  groups: Record<string, { counts: Counts }>;
  anomalies: Anomaly[];
  /** Anomaly kinds the claim forbids that were found. */
  violations: AnomalyKind[];
  /**
   * Why the verdict is, or but for a definite violation would be, "unknown": an incomplete history
   * first, then every fault or planned crash that did not happen, in file order.
   */
  reasons: string[];
  /** What the nemesis and the crash planner did (docs/semantics.md "Fault integrity"). */
  faultIntegrity: FaultIntegrity;
  /** What the scenario's families measured (e.g. `staleReads`), when they measured anything. */
  measurements?: Record<string, unknown>;
}

export function zeroCounts(): Counts {
  return Object.fromEntries(COUNT_NAMES.map((n) => [n, 0])) as Counts;
}

/**
 * The incremental form of `check`: feed events in file order, then `result()`. Pure: no I/O, no
 * clocks; the same events and options always give the same result.
 */
export class Checker {
  private readonly index: MessageIndex;
  private readonly faults = new FaultIntegrityTracker();
  private incomplete: string | undefined;
  private readonly families: { family: CheckerFamily; pass: FamilyPass }[];
  constructor(private readonly options: CheckOptions) {
    this.index = new MessageIndex(options.groups ?? []);
    this.incomplete = options.incomplete;
    this.families = (options.families ?? []).map((family) => ({ family, pass: family.start(options.claim) }));
  }

  /** Groups that must each receive everything, learnt after construction (a meta line). */
  declareGroups(groups: readonly string[]): void {
    for (const g of groups) this.index.group(g);
  }

  markIncomplete(reason: string): void {
    this.incomplete = reason;
  }

  add(event: HistoryEvent): void {
    this.index.add(event);
    for (const f of this.families) f.pass.add(event);
    if (event.f === 'fault') this.faults.addFault(event);
    else if (event.f === 'crash') this.faults.addCrash(event);
  }

  addAll(events: Iterable<HistoryEvent>): void {
    for (const e of events) this.add(e);
  }

  private addFamilies(out: AnomalyCollector): FamilyTotals {
    return mergeFamilies(this.families, out);
  }

  result(): CheckResult {
    const ix = this.index;
    const { claim } = this.options;
    const out = new AnomalyCollector(this.options.examplesPerKind ?? 20);
    const groups = ix.judgedGroups();
    for (const g of groups) {
      checkSends(ix, g, out);
      checkLoss(ix, g, out);
      checkDuplication(ix, g, out);
      checkOrdering(ix, g, claim.ordering, out);
      checkDeadLetters(ix, g, claim.maxAttempts, out);
      if (ix.sawEffect) checkEffects(ix, g, out);
    }
    const families = this.addFamilies(out);
    const familyReasons = families.reasons;

    const messageTotals = { attempted: 0, acknowledged: 0, failed: 0, indeterminate: 0 };
    for (let m = 0; m < ix.size; m++) {
      if (isAttempted(ix, m)) messageTotals.attempted++;
      if (isAcknowledged(ix, m)) messageTotals.acknowledged++;
      if (isFailed(ix, m)) messageTotals.failed++;
      if (isIndeterminate(ix, m)) messageTotals.indeterminate++;
    }
    const counts = zeroCounts();
    Object.assign(counts, messageTotals);
    const perGroup: Record<string, { counts: Counts }> = {};
    for (const g of groups) {
      const c = zeroCounts();
      Object.assign(c, messageTotals);
      for (let m = 0; m < ix.size; m++) {
        if (g.deliverCount.data[m]! > 0) c.delivered++;
        if (g.processCount.data[m]! > 0) c.processed++;
        if (g.firstDlq.data[m]! >= 0) c.deadLettered++;
      }
      for (const [name, n] of out.counts.get(g.name) ?? []) c[name as CountName] = n;
      perGroup[g.name] = { counts: c };
      for (const name of COUNT_NAMES) {
        if (!(name in messageTotals)) counts[name] += c[name];
      }
    }
    // A family may judge groups no message went to (a projection): they are groups all the same.
    for (const name of families.groups) {
      if (perGroup[name]) continue;
      const c = zeroCounts();
      Object.assign(c, messageTotals);
      for (const [kind, n] of out.counts.get(name) ?? []) {
        c[kind as CountName] = n;
        counts[kind as CountName] += n;
      }
      perGroup[name] = { counts: c };
    }

    const violations = forbiddenAnomalies(claim).filter(
      (kind) => !INFORMATIONAL_KINDS.has(kind) && counts[kind] > 0,
    );
    // More events could still undo an absence (a late delivery): an incomplete history leaves those
    // undecided. Faults that did not happen undo nothing that was seen, but a case that did not
    // test what it says cannot pass: they only turn `true` into "unknown".
    const incomplete: string[] = [];
    if (this.incomplete) incomplete.push(this.incomplete);
    if (ix.phases.length > 0 && !ix.phases.includes('check')) {
      incomplete.push(`the case stopped before its check phase (last phase: ${ix.phases.at(-1)})`);
    }
    if (ix.drainCutOff) incomplete.push('the drain was cut off by its deadline before consumers went quiet');
    const faults = this.faults.result();
    let valid: Validity;
    if (violations.some((kind) => !ABSENCE_KINDS.has(kind))) valid = false;
    else if (incomplete.length > 0) valid = 'unknown';
    else if (violations.length > 0) valid = false;
    else if (faults.reasons.length > 0 || familyReasons.length > 0) valid = 'unknown';
    else valid = true;

    return {
      valid,
      guarantee: { ...claim },
      counts,
      groups: perGroup,
      anomalies: out.examples,
      violations,
      reasons: [...incomplete, ...familyReasons, ...faults.reasons],
      faultIntegrity: faults.faultIntegrity,
      ...(families.measurements && { measurements: families.measurements }),
    };
  }
}

interface FamilyTotals {
  /** Why a family could not decide. */
  reasons: string[];
  /** Every group a family reported counts for. */
  groups: Set<string>;
  measurements: Record<string, unknown> | undefined;
}

/**
 * Folds the scenario families' results into the collector: the kinds a family decides are cleared
 * of the core families' counts and examples first.
 */
function mergeFamilies(
  families: readonly { family: CheckerFamily; pass: FamilyPass }[],
  out: AnomalyCollector,
): FamilyTotals {
  const totals: FamilyTotals = { reasons: [], groups: new Set(), measurements: undefined };
  for (const { family, pass } of families) {
    const result = pass.result();
    out.forget(family.kinds);
    for (const a of result.anomalies) out.example(a.kind, a.group, a.id, a.events, a.detail);
    for (const [group, counts] of Object.entries(result.counts)) {
      totals.groups.add(group);
      for (const [kind, n] of Object.entries(counts)) if (n) out.bump(group, kind, n);
    }
    totals.reasons.push(...result.reasons);
    if (result.measurements) totals.measurements = { ...totals.measurements, ...result.measurements };
  }
  return totals;
}

/** Checks a whole history held in memory. */
export function check(events: Iterable<HistoryEvent>, options: CheckOptions): CheckResult {
  const checker = new Checker(options);
  checker.addAll(events);
  return checker.result();
}
