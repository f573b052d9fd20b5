import type { FaultPlan } from './fault-plan.ts';
import type { Nemesis } from './nemesis.ts';

/**
 * Runs a case's fault plans against the load's clock: each starts `atMs` after `begin` and is
 * healed `durationMs` later. `end` cancels what has not started and heals what is active.
 */
export class FaultSchedule {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly plans: readonly FaultPlan[],
    private readonly nemesis: Nemesis,
  ) {}

  begin(): void {
    for (const plan of this.plans) {
      this.at(plan.atMs, async () => {
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

  async end(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    // Nested timers (a stop scheduled by a start still running) are caught by the second pass.
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
    }
    await this.nemesis.healAll();
  }
}
