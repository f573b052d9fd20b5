import type { HistoryEvent } from '../core/events.ts';
import { bytes, GroupColumns, MessageSlots } from '../core/per-message.ts';
import { parseFaultSpec } from '../faults/fault-plan.ts';
import type { Workload } from '../scenarios/scenario.ts';

/** One scheduled fault as it went: fired (and for how long), failed to start, or never started. */
export interface FaultCoverage {
  fault: string;
  target: string;
  params?: Record<string, unknown>;
  status: 'fired' | 'failed' | 'cancelled' | 'unfinished';
  /** µs since the case started. */
  startT?: number;
  stopT?: number;
  /** How long it acted: from its start's ok to its stop's ok (ms). */
  durationMs?: number;
  error?: string;
  /** Deliveries of messages the group had already received, from this fault's start to the next fault's. */
  redeliveries: number;
}

/** Planned consumer crashes per crash point: how many were drawn, fired, never fired. */
export interface CrashCoverage {
  point: string;
  fired: number;
  cancelled: number;
  redeliveries: number;
}

/** What a case's faults really did, read off its history. */
export interface CaseCoverage {
  faults: FaultCoverage[];
  crashes: CrashCoverage[];
  /** Producer crashes and other crashes not planned per delivery. */
  otherCrashes: number;
}

/**
 * Folds a case's events, as they are recorded, into its fault coverage. Redeliveries are counted
 * against the latest fault or crash before them, so the report says what the broker did after each.
 */
export class CoverageCollector {
  private readonly faults: FaultCoverage[] = [];
  private readonly crashes = new Map<string, CrashCoverage>();
  private otherCrashes = 0;
  private readonly slots = new MessageSlots();
  /** 1 where the group has had the message delivered (a byte a message, not an id string). */
  private readonly delivered = new GroupColumns(bytes);
  private latest: { redeliveries: number } | undefined;

  add(e: HistoryEvent): void {
    switch (e.f) {
      case 'deliver': {
        const delivered = this.delivered.of(e.group ?? 'default');
        const slot = this.slots.slot(String(e.id));
        if (delivered.get(slot) === 1) {
          if (this.latest) this.latest.redeliveries++;
        } else delivered.set(slot, 1);
        return;
      }
      case 'crash': {
        const point = typeof e.point === 'string' ? e.point : undefined;
        if (!point) {
          if (e.type === 'info') this.otherCrashes++;
          return;
        }
        const c = this.crashAt(point);
        if (e.type === 'info') {
          c.fired++;
          this.latest = c;
        } else c.cancelled++;
        return;
      }
      case 'fault': {
        if (e.action === 'start') this.onStart(e);
        else if (e.type === 'ok') {
          const open = this.faults.findLast(
            (f) =>
              f.fault === e.fault && f.target === e.target && f.status === 'fired' && f.stopT === undefined,
          );
          if (open) {
            open.stopT = e.t;
            open.durationMs = Math.round((e.t - open.startT!) / 1000);
          }
        }
        return;
      }
      default:
        return;
    }
  }

  private onStart(e: Extract<HistoryEvent, { f: 'fault' }>): void {
    const params = e.params as Record<string, unknown> | undefined;
    if (e.type === 'invoke') {
      this.faults.push({
        fault: e.fault,
        target: e.target,
        ...(params && { params }),
        status: 'unfinished',
        redeliveries: 0,
      });
      return;
    }
    // Paired as the checker pairs them: a completion closes the earliest open start.
    const open = this.faults.find(
      (f) => f.fault === e.fault && f.target === e.target && f.status === 'unfinished',
    );
    const entry: FaultCoverage = open ?? {
      fault: e.fault,
      target: e.target,
      ...(params && { params }),
      status: 'unfinished',
      redeliveries: 0,
    };
    if (!open) this.faults.push(entry);
    if (e.type === 'ok') {
      entry.status = 'fired';
      entry.startT = e.t;
      this.latest = entry;
    } else {
      entry.status = e.reason === 'cancelled' ? 'cancelled' : 'failed';
      const error = e.error ?? e.reason;
      if (error !== undefined) entry.error = String(error);
    }
  }

  private crashAt(point: string): CrashCoverage {
    let c = this.crashes.get(point);
    if (!c) {
      c = { point, fired: 0, cancelled: 0, redeliveries: 0 };
      this.crashes.set(point, c);
    }
    return c;
  }

  result(): CaseCoverage {
    return {
      faults: this.faults.map((f) => ({ ...f })),
      crashes: [...this.crashes.values()].map((c) => ({ ...c })),
      otherCrashes: this.otherCrashes,
    };
  }
}

/** Faults that did not act as drawn: they make a "holds" impossible to say. */
export function skippedFaults(coverage: CaseCoverage): number {
  return (
    coverage.faults.filter((f) => f.status !== 'fired').length +
    coverage.crashes.reduce((n, c) => n + c.cancelled, 0)
  );
}

/**
 * The faults a case lists (`--faults`) that its workload did not draw: fast-check draws one to
 * three scheduled faults per case from the kinds asked for, so a case may list one it never had.
 * A bare network fault is drawn by a fault of its kind on the broker's links; `@role` by that role.
 */
export function faultsNotDrawn(
  listed: readonly string[],
  workload: Pick<Workload, 'crashes' | 'faults'> | undefined,
): string[] {
  if (!workload) return [];
  // Results written before workloads carried both lists say nothing either way.
  const { crashes, faults } = workload as Partial<typeof workload>;
  return listed.filter((entry) => {
    if (entry === 'none') return false;
    const spec = parseFaultSpec(entry);
    if (!spec) return false;
    if (spec.kind === 'consumer-crash') return crashes !== undefined && crashes.length === 0;
    return (
      faults !== undefined &&
      !faults.some(
        (f) =>
          f.kind === spec.kind &&
          (spec.role === undefined ? f.role !== 'store' && f.role !== 'consumer' : f.role === spec.role),
      )
    );
  });
}

/** Listed faults that no case of the run drew: the run did not test them at all. */
export function faultsNeverDrawn(
  cases: readonly { faults?: readonly string[]; workload?: CaseWorkload }[],
): string[] {
  const listed = new Set(cases.flatMap((c) => c.faults ?? []));
  return [...listed].filter((entry) => cases.every((c) => faultsNotDrawn([entry], c.workload).length > 0));
}

type CaseWorkload = Pick<Workload, 'crashes' | 'faults'> | undefined;

/**
 * One line for a run's fault coverage, e.g. "12 cases, 11 crashes fired at 3 crash points,
 * 4× partition 1.2–9.8 s, 37 redeliveries after faults, 0 faults skipped".
 */
export function coverageLine(
  cases: readonly {
    coverage?: CaseCoverage | undefined;
    faults?: readonly string[];
    workload?: CaseWorkload;
  }[],
): string {
  const parts = [`${cases.length} case${cases.length === 1 ? '' : 's'}`];
  let fired = 0;
  let skipped = 0;
  let redeliveries = 0;
  const points = new Set<string>();
  const byFault = new Map<string, number[]>();
  for (const c of cases) {
    if (!c.coverage) continue;
    skipped += skippedFaults(c.coverage);
    for (const k of c.coverage.crashes) {
      fired += k.fired;
      redeliveries += k.redeliveries;
      if (k.fired > 0) points.add(k.point);
    }
    for (const f of c.coverage.faults) {
      redeliveries += f.redeliveries;
      if (f.status !== 'fired') continue;
      const list = byFault.get(f.fault) ?? [];
      list.push(f.durationMs ?? 0);
      byFault.set(f.fault, list);
    }
  }
  if (fired > 0 || points.size > 0)
    parts.push(
      `${fired} crash${fired === 1 ? '' : 'es'} fired at ${points.size} crash point${points.size === 1 ? '' : 's'}`,
    );
  for (const [fault, durations] of [...byFault].sort()) {
    const lo = Math.min(...durations) / 1000;
    const hi = Math.max(...durations) / 1000;
    const range = lo === hi ? `${lo.toFixed(1)} s` : `${lo.toFixed(1)}–${hi.toFixed(1)} s`;
    parts.push(`${durations.length}× ${fault} ${range}`);
  }
  parts.push(`${redeliveries} redeliveries after faults`);
  parts.push(`${skipped} fault${skipped === 1 ? '' : 's'} skipped`);
  const never = faultsNeverDrawn(cases);
  if (never.length > 0) parts.push(`listed but drawn in no case: ${never.join(', ')} (raise --runs)`);
  return parts.join(', ');
}

/** A case's coverage in a few words, e.g. "2 crashes (before-process, after-ack) · partition@consumers 4.2 s". */
export function caseCoverageSummary(coverage: CaseCoverage | undefined): string {
  if (!coverage) return '';
  const parts: string[] = [];
  const fired = coverage.crashes.filter((c) => c.fired > 0);
  const firedCount = fired.reduce((n, c) => n + c.fired, 0);
  if (firedCount > 0)
    parts.push(
      `${firedCount} crash${firedCount === 1 ? '' : 'es'} (${fired.map((c) => c.point).join(', ')})`,
    );
  const cancelled = coverage.crashes.reduce((n, c) => n + c.cancelled, 0);
  if (cancelled > 0) parts.push(`${cancelled} planned crash${cancelled === 1 ? '' : 'es'} never fired`);
  for (const f of coverage.faults) {
    if (f.status === 'fired')
      parts.push(`${f.fault} on ${f.target} ${((f.durationMs ?? 0) / 1000).toFixed(1)} s`);
    else parts.push(`${f.fault} on ${f.target} ${f.status}${f.error ? ` (${f.error})` : ''}`);
  }
  return parts.length ? parts.join(' · ') : 'no faults';
}
