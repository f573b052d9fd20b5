import type { SqlSession, StoreAccess } from '../../../core/store.ts';
import { PostgresEventLog } from './postgres-event-log.ts';

/**
 * One event of a stream. `type` and `data` are the scenario's own (a user's e-mail, an order id);
 * the log only keeps them.
 */
export interface LoggedEvent {
  id: string;
  stream: string;
  version: number;
  type: string;
  data: string;
}

/** An event waiting in the log's outbox for the relay. */
export interface PendingEvent {
  seq: number;
  event: LoggedEvent;
}

export type AppendOutcome = { status: 'ok'; version: number } | { status: 'conflict' };
/** The event is ahead of the read model: `gap` earlier versions of its stream are not applied yet. */
export interface Gap {
  gap: number;
}

/** What a projection did with an event: changed its read model, skipped a duplicate, or waits for earlier ones. */
export type ApplyOutcome = 'applied' | 'duplicate' | Gap;

/**
 * What a read model's apply is told by the projection's step. Consumers run in the runner's process,
 * so the handler of a consumer that crashed goes on running: it must commit nothing once dead, as
 * the dead process could not have (and what it would commit is never recorded).
 */
export interface ApplyHooks {
  alive(): boolean;
  /** Records the apply: called with the stream locked, just before the change commits. */
  applying(): void;
}

/** 'died': the projection's process died before its change committed (or between two writes). */
export type ProjectionOutcome = ApplyOutcome | 'died';

/** Thrown inside a transaction to roll it back: the projection's process is dead. */
export class DiedBeforeCommit extends Error {}

/**
 * An event store's log: streams appended with an expected version (optimistic concurrency), and
 * an outbox the relay publishes from, written in the append's transaction.
 */
export interface EventLog {
  /** The stream's events in version order. */
  read(stream: string): Promise<LoggedEvent[]>;
  /** Appends at `expected + 1` if the stream is at `expected`; a conflict otherwise. */
  append(event: Omit<LoggedEvent, 'version'>, expected: number): Promise<AppendOutcome>;
  /** Unsent outbox rows of the streams `owns` accepts, oldest first. */
  pending(owns: (stream: string) => boolean, limit: number): Promise<PendingEvent[]>;
  markSent(seq: number): Promise<void>;
  /** Every stream in the log, in version order. */
  streams(): Promise<Map<string, LoggedEvent[]>>;
}

/** The log on the case's memory space or PostgreSQL schema (`create`: make its tables). */
export async function openEventLog(access: StoreAccess, create: boolean): Promise<EventLog> {
  if (access.kind === 'memory') return new MemoryEventLog(access.space, access.anomalies ?? {});
  return create ? PostgresEventLog.create(access.sql as SqlSession) : new PostgresEventLog(access.sql);
}

interface MemoryTables {
  streams: Map<string, LoggedEvent[]>;
  outbox: { seq: number; event: LoggedEvent; sent: boolean }[];
  nextSeq: number;
}

/**
 * The reference log, with the memory driver's anomaly switches: `ignoreExpectedVersion` appends at
 * the end whatever was expected; `forkOnConcurrentAppend` lets an append whose slot was just taken
 * succeed at that same version.
 */
export class MemoryEventLog implements EventLog {
  private readonly t: MemoryTables;
  private rolls = 0;

  constructor(
    space: Map<string, unknown>,
    private readonly anomalies: Readonly<Record<string, number>>,
  ) {
    let t = space.get('event-log') as MemoryTables | undefined;
    if (!t) {
      t = { streams: new Map(), outbox: [], nextSeq: 1 };
      space.set('event-log', t);
    }
    this.t = t;
  }

  /** Deterministic per call, so a rate of 0.5 strikes every other chance. */
  private strikes(anomaly: string): boolean {
    const rate = this.anomalies[anomaly] ?? 0;
    if (rate <= 0) return false;
    this.rolls++;
    return Math.floor(this.rolls * rate) !== Math.floor((this.rolls - 1) * rate);
  }

  async read(stream: string) {
    return [...(this.t.streams.get(stream) ?? [])].sort((a, b) => a.version - b.version);
  }

  async append(event: Omit<LoggedEvent, 'version'>, expected: number): Promise<AppendOutcome> {
    const events = this.t.streams.get(event.stream) ?? [];
    let version = expected + 1;
    if (events.length !== expected) {
      if (this.strikes('ignoreExpectedVersion')) version = events.length + 1;
      else if (events.length === expected + 1 && this.strikes('forkOnConcurrentAppend'))
        version = expected + 1;
      else return { status: 'conflict' };
    }
    const stored: LoggedEvent = { ...event, version };
    // A forked append overwrites nothing: it is stored beside the winner, as a broken store would.
    events.push(stored);
    this.t.streams.set(event.stream, events);
    this.t.outbox.push({ seq: this.t.nextSeq++, event: stored, sent: false });
    return { status: 'ok', version };
  }

  async pending(owns: (stream: string) => boolean, limit: number) {
    return this.t.outbox
      .filter((r) => !r.sent && owns(r.event.stream))
      .slice(0, limit)
      .map((r) => ({ seq: r.seq, event: r.event }));
  }

  async markSent(seq: number) {
    const row = this.t.outbox.find((r) => r.seq === seq);
    if (row) row.sent = true;
  }

  async streams() {
    return new Map(
      [...this.t.streams].map(([s, events]) => [s, [...events].sort((a, b) => a.version - b.version)]),
    );
  }
}
