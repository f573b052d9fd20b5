import { faultTargets, targetsOverlap } from './fault-placement.ts';
import type { FaultPlan } from './fault-plan.ts';
import type { Nemesis } from './nemesis.ts';

/**
 * Runs a case's fault plans against the load's clock: each starts `atMs` after `begin` and is
 * healed `durationMs` later. Faults that share a target never overlap, even when healing takes
 * longer than planned (a killed broker's restart): the next one waits until the previous one's heal
 * has completed. `end` heals what is active and records every plan that never started as cancelled.
 */
export class FaultSchedule {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly started = new Set<FaultPlan>();
  /** Per target: settles once the fault holding it has been healed. */
  private readonly healed = new Map<string, Promise<void>>();
  private readonly release = new Set<() => void>();
  private ending = false;
  private ended = false;
  private remaining: number;
  private allPlayed!: () => void;
  /** Settles once every plan has started and been healed (or the schedule ended). */
  readonly played: Promise<void>;

  constructor(
    private readonly plans: readonly FaultPlan[],
    private readonly nemesis: Nemesis,
  ) {
    this.remaining = plans.length;
    this.played = new Promise<void>((resolve) => {
      this.allPlayed = resolve;
    });
    if (this.remaining === 0) this.allPlayed();
  }

  private onePlayed(): void {
    if (--this.remaining <= 0) this.allPlayed();
  }

  begin(): void {
    // What must hold before any fault strikes (power-loss: the disk is synced as the load begins).
    const ready = this.nemesis.beforeLoad(this.plans);
    for (const plan of this.plans)
      this.at(plan.atMs, async () => {
        await ready;
        await this.run(plan);
      });
  }

  private async run(plan: FaultPlan): Promise<void> {
    const targets = faultTargets(plan);
    // The consumers' link covers each consumer's own: wait on every target this one overlaps. Two
    // overdue faults can wait on the same heal: after it, whichever runs first takes the target and
    // the other waits again, so they never start together.
    while (!this.ending) {
      const holding = [...this.healed]
        .filter(([held]) => targets.some((t) => targetsOverlap(t, held)))
        .map(([, p]) => p);
      if (holding.length === 0) break;
      await Promise.all(holding);
    }
    if (this.ending) return; // never started: `end` records it as cancelled
    this.started.add(plan);
    let done!: () => void;
    const healed = new Promise<void>((resolve) => {
      done = resolve;
    });
    this.release.add(done);
    for (const t of targets) this.healed.set(t, healed);
    await this.nemesis.start(plan);
    this.at(plan.durationMs, async () => {
      try {
        await this.nemesis.stop(plan);
      } finally {
        this.release.delete(done);
        // The target is free once its holder healed (unless a later fault holds it already).
        for (const t of targets) if (this.healed.get(t) === healed) this.healed.delete(t);
        done();
        this.onePlayed();
      }
    });
  }

  private at(ms: number, action: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const running = action().finally(() => this.inFlight.delete(running));
      this.inFlight.add(running);
    }, ms);
    this.timers.add(timer);
  }

  /** Plans that were due but never started. */
  get cancelled(): FaultPlan[] {
    return this.plans.filter((p) => !this.started.has(p));
  }

  async end(): Promise<void> {
    this.ending = true;
    this.allPlayed();
    // Starts waiting for a target are let go (they see `ending` and stand down).
    for (const done of this.release) done();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    // Nested timers (a stop scheduled by a start still running) are caught by the second pass.
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
    }
    if (!this.ended) {
      this.ended = true;
      for (const plan of this.cancelled) this.nemesis.cancelled(plan);
    }
    await this.nemesis.healAll();
  }
}
