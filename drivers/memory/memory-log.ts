import { int32s, SlotColumn } from '../../core/per-message.ts';
import type { AnomalyInjector } from './anomalies.ts';
import { type StoredMessage, TimerSet } from './stored-message.ts';

export interface LogRecord {
  message: StoredMessage;
  partition: number;
  offset: number;
}

export interface LogDelivery {
  record: LogRecord;
  redelivered: boolean;
  deliveryCount: number;
}

export type CommitResult = { ok: true } | { ok: false; error: string };

export interface MemoryLogOptions {
  name: string;
  partitions: number;
  /** A crashed member is noticed (and its partitions reassigned) after this long. */
  sessionTimeoutMs: number;
}

/** Stable partitioner: the same key always lands in the same partition. */
export function partitionFor(key: string | undefined, partitions: number, roundRobin: number): number {
  if (key === undefined) return roundRobin % partitions;
  let h = 2166136261;
  for (let k = 0; k < key.length; k++) h = Math.imul(h ^ key.charCodeAt(k), 16777619);
  return (h >>> 0) % partitions;
}

/**
 * A partitioned log with consumer groups: members share a group's partitions, read each partition
 * in offset order one record at a time, and commit offsets. A member that leaves or crashes has
 * its partitions reassigned; the new owner resumes at the committed offset, so processed but
 * uncommitted records are delivered again.
 */
export class MemoryLog {
  readonly partitions: LogRecord[][];
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly timers = new TimerSet();
  private roundRobin = 0;
  private deleted = false;

  constructor(
    readonly options: MemoryLogOptions,
    readonly anomalies: AnomalyInjector,
  ) {
    this.partitions = Array.from({ length: options.partitions }, () => []);
  }

  get name(): string {
    return this.options.name;
  }

  append(message: StoredMessage): LogRecord {
    const partition = partitionFor(message.key, this.options.partitions, this.roundRobin++);
    const log = this.partitions[partition]!;
    const record: LogRecord = { message, partition, offset: log.length };
    if (this.deleted) return record;
    log.push(record);
    for (const group of this.groups.values()) group.pump(partition);
    return record;
  }

  group(name: string): ConsumerGroup {
    let group = this.groups.get(name);
    if (!group) {
      group = new ConsumerGroup(this, name, this.timers);
      this.groups.set(name, group);
    }
    return group;
  }

  /** Records not yet committed, summed over the given groups. */
  lag(groups: readonly string[]): number {
    let lag = 0;
    for (const name of groups) {
      const group = this.group(name);
      this.partitions.forEach((log, p) => {
        lag += log.length - group.committed[p]!;
      });
      lag += group.pendingRedeliveries;
    }
    return lag + this.timers.pending;
  }

  get isDeleted(): boolean {
    return this.deleted;
  }

  delete(): void {
    this.deleted = true;
    this.timers.clear();
    for (const group of this.groups.values()) group.dispose();
    this.groups.clear();
  }
}

export class ConsumerGroup {
  readonly committed: number[];
  private readonly members: LogMember[] = [];
  private readonly owner: (LogMember | undefined)[];
  /** Highest offset delivered to this group per partition (for the `redelivered` flag). */
  private readonly highWater: number[];
  /** Deliveries to this group per partition, by offset (an int a record, not a key string). */
  private readonly deliveryCounts: SlotColumn<Int32Array>[];

  constructor(
    readonly log: MemoryLog,
    readonly name: string,
    private readonly timers: TimerSet,
  ) {
    const n = log.options.partitions;
    this.committed = new Array(n).fill(0);
    this.owner = new Array(n).fill(undefined);
    this.highWater = new Array(n).fill(-1);
    this.deliveryCounts = Array.from({ length: n }, () => new SlotColumn(int32s));
  }

  get pendingRedeliveries(): number {
    return this.members.reduce((n, m) => n + m.extra.length, 0);
  }

  join(onDeliver: (d: LogDelivery) => void): LogMember {
    const member = new LogMember(this, onDeliver);
    this.members.push(member);
    this.rebalance();
    return member;
  }

  /** Round-robin assignment over live members; a partition that changes owner restarts at its commit. */
  private rebalance(): void {
    const live = this.members.filter((m) => m.state === 'live');
    this.owner.forEach((previous, p) => {
      const next = live.length ? live[p % live.length] : undefined;
      if (previous === next) return;
      previous?.positions.delete(p);
      this.owner[p] = next;
      next?.positions.set(p, this.committed[p]!);
    });
    for (let p = 0; p < this.owner.length; p++) this.pump(p);
  }

  leave(member: LogMember, crashed: boolean): void {
    if (member.state !== 'live') return;
    member.state = crashed ? 'crashed' : 'closed';
    if (crashed && this.log.anomalies.roll('loseUnackedOnCrash')) {
      // As if the dead member had committed what it fetched but never finished.
      for (const [p, position] of member.positions) {
        const skipped = position - this.committed[p]!;
        if (skipped > 0) {
          this.log.anomalies.count('loseUnackedOnCrash', skipped);
          this.committed[p] = position;
        }
      }
    }
    const remove = () => {
      const at = this.members.indexOf(member);
      if (at >= 0) this.members.splice(at, 1);
      member.extra.length = 0;
      this.rebalance();
    };
    // A clean leave is immediate; a crash is noticed when the session times out.
    if (crashed) this.timers.after(this.log.options.sessionTimeoutMs, remove);
    else remove();
  }

  pump(partition: number): void {
    const member = this.owner[partition];
    if (member?.state !== 'live' || member.busy.has(partition)) return;
    const extra = member.extra.findIndex((r) => r.partition === partition);
    let record: LogRecord | undefined;
    if (extra >= 0) record = member.extra.splice(extra, 1)[0];
    else {
      const position = member.positions.get(partition);
      if (position === undefined) return;
      record = this.log.partitions[partition]![position];
      if (record) member.positions.set(partition, position + 1);
    }
    if (!record) return;
    member.busy.add(partition);
    const counts = this.deliveryCounts[partition]!;
    const deliveryCount = counts.get(record.offset) + 1;
    counts.set(record.offset, deliveryCount);
    const redelivered = record.offset <= this.highWater[partition]!;
    this.highWater[partition] = Math.max(this.highWater[partition]!, record.offset);
    const delivery: LogDelivery = { record, redelivered, deliveryCount };
    setImmediate(() => member.onDeliver(delivery));
  }

  /** The member finished with a record (acked, nacked or gave up); the partition may move on. */
  done(member: LogMember, partition: number): void {
    member.busy.delete(partition);
    if (member.state === 'live') setImmediate(() => this.pump(partition));
  }

  commit(member: LogMember, record: LogRecord): CommitResult {
    if (member.state !== 'live' || this.owner[record.partition] !== member) {
      return {
        ok: false,
        error: `partition ${record.partition} is no longer assigned to this member (rebalanced)`,
      };
    }
    this.committed[record.partition] = Math.max(this.committed[record.partition]!, record.offset + 1);
    if (this.log.anomalies.roll('redeliverAfterAck')) {
      this.log.anomalies.count('redeliverAfterAck');
      member.extra.push(record);
    }
    return { ok: true };
  }

  /** Seek back to the record so it is read again, after an optional delay. */
  seek(member: LogMember, record: LogRecord, delayMs: number): CommitResult {
    if (member.state !== 'live' || this.owner[record.partition] !== member) {
      return {
        ok: false,
        error: `partition ${record.partition} is no longer assigned to this member (rebalanced)`,
      };
    }
    member.positions.set(record.partition, record.offset);
    member.busy.add(record.partition);
    this.timers.after(delayMs, () => this.done(member, record.partition));
    return { ok: true };
  }

  dispose(): void {
    for (const m of this.members) m.state = 'closed';
    this.members.length = 0;
  }
}

export class LogMember {
  state: 'live' | 'crashed' | 'closed' = 'live';
  readonly positions = new Map<number, number>();
  readonly busy = new Set<number>();
  /** Records to deliver again before reading on (injected redelivery after ack). */
  readonly extra: LogRecord[] = [];
  constructor(
    readonly group: ConsumerGroup,
    readonly onDeliver: (d: LogDelivery) => void,
  ) {}
}
