import type { FaultPlan } from './fault-plan.ts';
import type { Nemesis } from './nemesis.ts';

/**
 * Runs a case's fault plans against the load's clock: each starts `atMs` after `begin` and is
 * healed `durationMs` later. `end` heals what is active and records every plan that never started
 * as cancelled.
 */
export class FaultSchedule {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly started = new Set<FaultPlan>();
  private ended = false;

  constructor(
    private readonly plans: readonly FaultPlan[],
    private readonly nemesis: Nemesis,
  ) {}

  begin(): void {
    for (const plan of this.plans) {
      this.at(plan.atMs, async () => {
        this.started.add(plan);
        await this.nemesis.start(plan);
        this.at(plan.durationMs, () => this.nemesis.stop(plan));
      });
    }
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
