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
import { bytes, int32s, MessageSlots, SlotColumn } from '../core/per-message.ts';
import type { Driver } from '../drivers/driver.ts';
import type { CasePlan } from './case.ts';

export class Settlement {
  private readonly slots = new MessageSlots();
  /** 1 once a send of the id reached the broker (ok or info): from then on it is owed. */
  private readonly answered = new SlotColumn(bytes);
  /** Groups still waiting for an answered id. */
  private readonly waiting = new SlotColumn(int32s);
  /** Per group, 1 where it processed or dead-lettered the id — possibly before its send was answered. */
  private readonly done: SlotColumn<Uint8Array>[];
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
  ) {
    this.done = groups.map(() => new SlotColumn(bytes));
  }

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
        if (e.type === 'fail') return;
        const slot = this.slots.slot(id);
        if (this.answered.get(slot) === 1) return;
        this.answered.set(slot, 1);
        this.sends++;
        const waiting = this.done.reduce((n, done) => n + (done.get(slot) === 1 ? 0 : 1), 0);
        this.waiting.set(slot, waiting);
        if (waiting > 0) this.unsettled++;
        return;
      }
      case 'process':
      case 'dlq':
        if (e.type === 'ok') this.settle(id, typeof e.group === 'string' ? e.group : this.groups[0]);
        return;
    }
  }

  private settle(id: string, group: string | undefined): void {
    const g = group === undefined ? -1 : this.groups.indexOf(group);
    // A group the case does not have is waited for by no send.
    if (g < 0) return;
    const slot = this.slots.slot(id);
    const done = this.done[g]!;
    if (done.get(slot) === 1) return;
    // Not answered yet (or a send this case never made): remembered for when it is.
    done.set(slot, 1);
    if (this.answered.get(slot) !== 1) return;
    const waiting = this.waiting.get(slot) - 1;
    this.waiting.set(slot, waiting);
    if (waiting === 0) this.unsettled--;
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
