import type { CrashEvent, FaultEvent } from '../core/events.ts';

/**
 * What the nemesis and the crash planner actually did, from the history alone (docs/semantics.md
 * "Fault integrity"). Only `start` actions count: a fault that did not start was not tested.
 */
export interface FaultIntegrity {
  /** `fault` `start` `ok` events. */
  started: number;
  /** `fault` `start` `fail` events whose `reason` is not `"cancelled"`: the fault could not be applied. */
  failed: number;
  /** `fault` `start` `fail` events with `reason: "cancelled"`: drawn, never started. */
  cancelled: number;
  /** `fault` `start` `invoke` events that no completion paired with. */
  neverCompleted: number;
  /** `crash` `info` events: crashes that happened. */
  crashesFired: number;
  /** `crash` `fail` events: planned crashes that never fired (normally `reason: "cancelled"`). */
  crashesCancelled: number;
}

export const zeroFaultIntegrity = (): FaultIntegrity => ({
  started: 0,
  failed: 0,
  cancelled: 0,
  neverCompleted: 0,
  crashesFired: 0,
  crashesCancelled: 0,
});

/** At most this many problems are spelled out in `reasons`; the rest are summed up in one line. */
export const MAX_FAULT_REASONS = 20;

interface Problem {
  /** The event that shows it: the failing completion, the crash, or the unanswered invoke. */
  i: number;
  text: string;
}

/**
 * Pairs every `fault` `start` `invoke` with its completion by (p, fault, target, action): a
 * completion closes the earliest still-open invoke of its key. Fed in file order; pure. Fault and
 * crash events are few, so plain maps and arrays are fine here.
 */
export class FaultIntegrityTracker {
  private readonly summary = zeroFaultIntegrity();
  /** Open start invokes per pairing key, earliest first. */
  private readonly open = new Map<string, FaultEvent[]>();
  private readonly problems: Problem[] = [];

  addFault(e: FaultEvent): void {
    if (e.action !== 'start') return;
    const key = `${e.p}\u0000${e.fault}\u0000${e.target}\u0000${e.action}`;
    if (e.type === 'invoke') {
      const queue = this.open.get(key);
      if (queue) queue.push(e);
      else this.open.set(key, [e]);
      return;
    }
    if (e.type !== 'ok' && e.type !== 'fail') return;
    const queue = this.open.get(key);
    if (queue && queue.length > 0) {
      queue.shift();
      if (queue.length === 0) this.open.delete(key);
    }
    if (e.type === 'ok') {
      this.summary.started++;
    } else if (e.reason === 'cancelled') {
      this.summary.cancelled++;
      this.problems.push({
        i: e.i,
        text: `fault ${e.fault} on ${e.target} was drawn but never started (cancelled)`,
      });
    } else {
      this.summary.failed++;
      const why = typeof e.reason === 'string' ? e.reason : typeof e.error === 'string' ? e.error : undefined;
      this.problems.push({
        i: e.i,
        text: `fault ${e.fault} on ${e.target} failed to start: ${why ?? 'no reason given'}`,
      });
    }
  }

  addCrash(e: CrashEvent): void {
    if (e.type === 'info') {
      this.summary.crashesFired++;
    } else if (e.type === 'fail') {
      this.summary.crashesCancelled++;
      const at = typeof e.point === 'string' ? ` at ${e.point}` : '';
      const why = typeof e.reason === 'string' ? e.reason : 'no reason given';
      this.problems.push({ i: e.i, text: `planned crash of ${e.target}${at} never fired (${why})` });
    }
  }

  /** The summary, and one reason per problem in file order (capped at `MAX_FAULT_REASONS`). */
  result(): { faultIntegrity: FaultIntegrity; reasons: string[] } {
    const problems = [...this.problems];
    let neverCompleted = 0;
    for (const queue of this.open.values()) {
      for (const e of queue) {
        neverCompleted++;
        problems.push({
          i: e.i,
          text: `fault ${e.fault} on ${e.target} was invoked but its start never completed`,
        });
      }
    }
    problems.sort((a, b) => a.i - b.i);
    const reasons = problems.slice(0, MAX_FAULT_REASONS).map((p) => p.text);
    if (problems.length > MAX_FAULT_REASONS) {
      reasons.push(`… and ${problems.length - MAX_FAULT_REASONS} more faults or crashes that did not happen`);
    }
    return { faultIntegrity: { ...this.summary, neverCompleted }, reasons };
  }
}
