/**
 * Whether a case's messages are settled, judged live from its history: every send that may have
 * reached the broker (`ok` or `info`) was processed — or dead-lettered — in every subscriber group.
 *
 * Brokers that cannot count what is outstanding (Pub/Sub) make the drain wait a long quiet, long
 * enough for whatever a crashed or cut-off consumer held to come back. While something is not
 * settled, the drain stays open to its deadline (the message may only be late). Once everything
 * is settled nothing can still be lost, so for an at-least-once claim — where a later redelivery
 * could only add a duplicate, which the claim allows — the drain may end after the ordinary quiet.
 * Claims that judge duplicates (exactly-once, at-most-once) keep the long quiet: a redelivery
 * after the drain would be exactly the anomaly they look for.
 */
import type { HistoryEvent } from '../core/events.ts';
import type { Driver } from '../drivers/driver.ts';
import type { CasePlan } from './case.ts';

export class Settlement {
  /** Sends that may have reached the broker, by id, with the groups still waiting for them. */
  private readonly owed = new Map<string, Set<string>>();
  /** Groups that processed or dead-lettered an id — possibly before its send was answered. */
  private readonly done = new Map<string, Set<string>>();
  private readonly sendsOpen = new Set<string>();
  private sends = 0;
  private unsettled = 0;

  /**
   * @param shortens whether a settled case may end after the ordinary quiet (at-least-once
   * claims); otherwise settling only keeps the drain from ending while something is missing.
   */
  constructor(
    private readonly groups: readonly string[],
    readonly shortens = true,
  ) {}

  add(e: HistoryEvent): void {
    const id = typeof e.id === 'string' ? e.id : undefined;
    if (id === undefined) return;
    switch (e.f) {
      case 'send': {
        if (e.type === 'invoke') {
          this.sendsOpen.add(id);
          return;
        }
        this.sendsOpen.delete(id);
        if (e.type === 'fail' || this.owed.has(id)) return;
        this.sends++;
        const done = this.done.get(id);
        this.done.delete(id);
        const waiting = new Set(this.groups.filter((g) => !done?.has(g)));
        this.owed.set(id, waiting);
        if (waiting.size > 0) this.unsettled++;
        return;
      }
      case 'process':
      case 'dlq':
        if (e.type === 'ok') this.settle(id, typeof e.group === 'string' ? e.group : this.groups[0]);
        return;
    }
  }

  private settle(id: string, group: string | undefined): void {
    if (group === undefined) return;
    const waiting = this.owed.get(id);
    if (!waiting) {
      // Not answered yet (or a send this case never made): remember it for when it is.
      const done = this.done.get(id) ?? new Set<string>();
      done.add(group);
      this.done.set(id, done);
      return;
    }
    if (!waiting.delete(group) || waiting.size > 0) return;
    this.unsettled--;
  }

  /** Every send answered, at least one reached the broker, and each is settled in every group. */
  settled(): boolean {
    return this.sends > 0 && this.sendsOpen.size === 0 && this.unsettled === 0;
  }

  /** Sends still waiting in some group (for the drain's reason). */
  get outstanding(): number {
    return this.unsettled;
  }
}

/**
 * A settlement for the case when the driver asks for one (it cannot count what is outstanding)
 * and the scenario's messages go straight from producers to consumers (no store whose state is
 * read back, no consume-transform-produce outputs). It shortens the drain only for an
 * at-least-once claim; for any claim it keeps the drain open while a message is missing.
 */
export function settlementFor(
  plan: Pick<CasePlan, 'claim' | 'scenario' | 'setup'>,
  driver: Pick<Driver, 'capabilities'>,
  groups: readonly string[],
): Settlement | undefined {
  if (!driver.capabilities.settlesByHistory) return undefined;
  if (plan.scenario.store || (plan.scenario.pipeline === true && plan.setup.pipeline !== undefined))
    return undefined;
  return new Settlement(groups, plan.claim.delivery === 'at-least-once');
}
