import { DEFAULT_GROUP, type HistoryEvent } from '../core/events.ts';
import { ownString } from '../core/scanned-event.ts';
import { Int32Column, Interner } from './growable.ts';

/**
 * One pass over a history, folded into per-message columns (typed arrays indexed by message), so
 * memory grows with the number of messages and groups, not with the number of events. Everything
 * the anomaly families need is a "first/second/last index" or a count; "first" means first in file
 * order. -1 means "never".
 */

export const SEND_INVOKED = 1;
export const SEND_OK = 2;
export const SEND_FAIL = 4;
export const SEND_INFO = 8;
export const POISON = 16;

/** Per subscriber group: what happened to each message there. */
export class GroupColumns {
  readonly deliverCount = new Int32Column(0);
  readonly firstDeliver = new Int32Column(-1);
  readonly secondDeliver = new Int32Column(-1);
  readonly lastDeliver = new Int32Column(-1);
  /** Partition of the first delivery (-1 when none was given). */
  readonly firstDeliverPartition = new Int32Column(-1);
  readonly processCount = new Int32Column(0);
  readonly firstProcess = new Int32Column(-1);
  readonly secondProcess = new Int32Column(-1);
  readonly firstAckOk = new Int32Column(-1);
  readonly firstDlq = new Int32Column(-1);
  /** Deliveries in this group before the first dlq event. */
  readonly deliveriesBeforeDlq = new Int32Column(0);
  readonly effectApplied = new Int32Column(0);
  readonly firstEffectApplied = new Int32Column(-1);
  readonly secondEffectApplied = new Int32Column(-1);
  readonly columns = [
    this.deliverCount,
    this.firstDeliver,
    this.secondDeliver,
    this.lastDeliver,
    this.firstDeliverPartition,
    this.processCount,
    this.firstProcess,
    this.secondProcess,
    this.firstAckOk,
    this.firstDlq,
    this.deliveriesBeforeDlq,
    this.effectApplied,
    this.firstEffectApplied,
    this.secondEffectApplied,
  ];
  constructor(readonly name: string) {}
  ensure(size: number) {
    for (const c of this.columns) c.ensure(size);
  }
  /** Seen (delivered, processed or dead-lettered) in this group. */
  seen(m: number): boolean {
    return this.firstDeliver.data[m]! >= 0 || this.firstProcess.data[m]! >= 0 || this.firstDlq.data[m]! >= 0;
  }
  /** First event that shows the message in this group. */
  firstSeen(m: number): number {
    const candidates = [
      this.firstDeliver.data[m]!,
      this.firstProcess.data[m]!,
      this.firstDlq.data[m]!,
    ].filter((i) => i >= 0);
    return candidates.length ? Math.min(...candidates) : -1;
  }
}

export class MessageIndex {
  readonly ids: string[] = [];
  private readonly byId = new Map<string, number>();
  /** Message of id `m<n>` at n (-1: none). */
  private readonly byNumber = new Int32Column(-1);
  readonly flags = new Int32Column(0);
  readonly firstInvoke = new Int32Column(-1);
  readonly firstOk = new Int32Column(-1);
  readonly firstFail = new Int32Column(-1);
  readonly firstInfo = new Int32Column(-1);
  /** Destination, key and producing process of the first send invoke (interned; -1: none). */
  readonly dest = new Int32Column(-1);
  readonly key = new Int32Column(-1);
  readonly producer = new Int32Column(-1);
  readonly dests = new Interner();
  readonly keys = new Interner();
  readonly processes = new Interner();
  readonly groups = new Map<string, GroupColumns>();
  /** Any effect event in the whole history (effect anomalies are computed only then). */
  sawEffect = false;
  /** Phases seen, in order, and whether the drain was cut off by its deadline. */
  readonly phases: string[] = [];
  drainCutOff = false;
  events = 0;
  private capacity = 1024;
  private lastGroup: GroupColumns | undefined;
  private lastId: string | undefined;
  private lastMessage = -1;

  constructor(declaredGroups: readonly string[] = []) {
    for (const g of declaredGroups) this.group(g);
  }

  group(name: string): GroupColumns {
    // Consecutive events mostly name the same group: a string comparison instead of a map lookup.
    if (name === this.lastGroup?.name) return this.lastGroup;
    let g = this.groups.get(name);
    if (!g) {
      g = new GroupColumns(name);
      g.ensure(this.capacity);
      this.groups.set(name, g);
    }
    this.lastGroup = g;
    return g;
  }

  /** Groups to judge: declared + seen, or `default` when there are none. */
  judgedGroups(): GroupColumns[] {
    if (this.groups.size === 0) this.group(DEFAULT_GROUP);
    return [...this.groups.values()];
  }

  private message(id: string): number {
    // Consecutive events mostly name the same message (send invoke then ok; deliver, process, ack).
    if (id === this.lastId) return this.lastMessage;
    // The runner's ids are `m<n>`: those are found by n in a dense column, without hashing the id.
    const n = runnerNumber(id);
    let m = n >= 0 && n < this.byNumber.data.length ? this.byNumber.data[n]! : -1;
    if (m < 0) m = this.byId.get(id) ?? -1;
    if (m < 0) {
      m = this.ids.length;
      const own = ownString(id);
      this.ids.push(own);
      // n bounded by the messages seen, so a hostile id like m2000000000 cannot size the column.
      if (n >= 0 && n <= 2 * m + 65_536) {
        this.byNumber.ensure(n + 1);
        this.byNumber.data[n] = m;
      } else this.byId.set(own, m);
      if (m >= this.capacity) {
        this.capacity *= 2;
        for (const c of this.messageColumns) c.ensure(this.capacity);
        for (const g of this.groups.values()) g.ensure(this.capacity);
      }
    }
    this.lastId = id;
    this.lastMessage = m;
    return m;
  }

  get size(): number {
    return this.ids.length;
  }

  private get messageColumns() {
    return [
      this.flags,
      this.firstInvoke,
      this.firstOk,
      this.firstFail,
      this.firstInfo,
      this.dest,
      this.key,
      this.producer,
    ];
  }

  add(e: HistoryEvent): void {
    this.events++;
    const i = e.i;
    switch (e.f) {
      case 'send': {
        const m = this.message(e.id);
        const flags = this.flags.data;
        if (e.type === 'invoke') {
          if (this.firstInvoke.data[m] === -1) {
            this.firstInvoke.data[m] = i;
            this.dest.data[m] = this.dests.intern(e.dest as string);
            this.key.data[m] = typeof e.key === 'string' ? this.keys.intern(e.key) : -1;
            this.producer.data[m] = this.processes.intern(e.p);
          }
          flags[m]! |= SEND_INVOKED | (e.poison === true ? POISON : 0);
        } else if (e.type === 'ok') {
          if (this.firstOk.data[m] === -1) this.firstOk.data[m] = i;
          flags[m]! |= SEND_OK;
        } else if (e.type === 'fail') {
          if (this.firstFail.data[m] === -1) this.firstFail.data[m] = i;
          flags[m]! |= SEND_FAIL;
        } else {
          if (this.firstInfo.data[m] === -1) this.firstInfo.data[m] = i;
          flags[m]! |= SEND_INFO;
        }
        return;
      }
      case 'deliver': {
        const m = this.message(e.id);
        const g = this.group(e.group ?? DEFAULT_GROUP);
        const count = ++g.deliverCount.data[m]!;
        if (count === 1) {
          g.firstDeliver.data[m] = i;
          g.firstDeliverPartition.data[m] = typeof e.partition === 'number' ? e.partition : -1;
        } else if (count === 2) g.secondDeliver.data[m] = i;
        g.lastDeliver.data[m] = i;
        return;
      }
      case 'process': {
        const m = this.message(e.id);
        const g = this.group(e.group ?? DEFAULT_GROUP);
        const count = ++g.processCount.data[m]!;
        if (count === 1) g.firstProcess.data[m] = i;
        else if (count === 2) g.secondProcess.data[m] = i;
        return;
      }
      case 'ack': {
        const m = this.message(e.id);
        const g = this.group(e.group ?? DEFAULT_GROUP);
        if (e.type === 'ok' && g.firstAckOk.data[m] === -1) g.firstAckOk.data[m] = i;
        return;
      }
      case 'nack': {
        this.message(e.id);
        this.group(e.group ?? DEFAULT_GROUP);
        return;
      }
      case 'dlq': {
        const m = this.message(e.id);
        const g = this.group(e.group ?? DEFAULT_GROUP);
        if (g.firstDlq.data[m] === -1) {
          g.firstDlq.data[m] = i;
          g.deliveriesBeforeDlq.data[m] = g.deliverCount.data[m]!;
        }
        return;
      }
      case 'effect': {
        this.sawEffect = true;
        const m = this.message(e.id);
        const g = this.group(e.group ?? DEFAULT_GROUP);
        if (e.applied) {
          const count = ++g.effectApplied.data[m]!;
          if (count === 1) g.firstEffectApplied.data[m] = i;
          else if (count === 2) g.secondEffectApplied.data[m] = i;
        }
        return;
      }
      case 'phase':
        this.phases.push(e.phase);
        if (e.phase === 'drain' && e.cutOff === true) this.drainCutOff = true;
        return;
      default:
        return;
    }
  }
}

/** n for an id written `m<n>` (decimal, no leading zero, at most 9 digits), or -1. */
function runnerNumber(id: string): number {
  const length = id.length;
  if (length < 2 || length > 10 || id.charCodeAt(0) !== 109 /* m */) return -1;
  if (length > 2 && id.charCodeAt(1) === 48 /* 0 */) return -1;
  let n = 0;
  for (let k = 1; k < length; k++) {
    const d = id.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
