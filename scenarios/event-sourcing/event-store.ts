import { createHash } from 'node:crypto';
import type { SqlSession, StoreAccess } from '../../core/store.ts';
import { PostgresEventStore } from './postgres-event-store.ts';

/** A user's profile event: UserCreated opens the stream, UserEmailChanged follows. */
export interface UserEvent {
  id: string;
  stream: string;
  version: number;
  type: 'UserCreated' | 'UserEmailChanged';
  email: string;
}

/** An event waiting in the store's outbox for the relay. */
export interface PendingEvent {
  seq: number;
  event: UserEvent;
}

export type AppendOutcome = { status: 'ok'; version: number } | { status: 'conflict' };
export type ApplyOutcome = 'applied' | 'duplicate' | 'gap';

/**
 * The event store and the read model of the event-sourcing scenario: streams of user events
 * appended with an expected version (optimistic concurrency), an outbox the relay publishes from
 * (written in the append's transaction), and the projection's read model — the current profile per
 * stream, kept idempotent by version.
 */
export interface EventStore {
  /** The stream's events in version order. */
  read(stream: string): Promise<UserEvent[]>;
  /** Appends at `expected + 1` if the stream is at `expected`; a conflict otherwise. */
  append(event: Omit<UserEvent, 'version'>, expected: number): Promise<AppendOutcome>;
  /** Unsent outbox rows of the streams `owns` accepts, oldest first. */
  pending(owns: (stream: string) => boolean, limit: number): Promise<PendingEvent[]>;
  markSent(seq: number): Promise<void>;
  /**
   * Applies the event to projection `group`'s read model if it is the stream's next version.
   * `applying` runs once the change is made and the stream's row is locked, just before the
   * commit: what it records is then in the order the store applies (the next version of the stream
   * waits on the lock), whichever process applies it.
   */
  apply(group: string, event: UserEvent, applying: () => void): Promise<ApplyOutcome>;
  /** Projection `group`'s read model: version and digest per stream. */
  profiles(group: string): Promise<{ stream: string; version: number; digest: string }[]>;
  /** Every stream in the store, replayed. */
  streams(): Promise<Map<string, UserEvent[]>>;
}

export interface Profile {
  version: number;
  email: string;
}

/** Folds one event into a profile (the same fold for the read model and the replay). */
export function applyEvent(profile: Profile | undefined, event: UserEvent): Profile {
  return { version: event.version, email: event.email ?? profile?.email ?? '' };
}

export function digestOf(stream: string, profile: Profile): string {
  return createHash('sha1')
    .update(`${stream}|${profile.version}|${profile.email}`)
    .digest('hex')
    .slice(0, 12);
}

export async function openEventStore(access: StoreAccess, create: boolean): Promise<EventStore> {
  if (access.kind === 'memory') return new MemoryEventStore(access.space, access.anomalies ?? {});
  return create ? PostgresEventStore.create(access.sql as SqlSession) : new PostgresEventStore(access.sql);
}

interface MemoryTables {
  streams: Map<string, UserEvent[]>;
  outbox: { seq: number; event: UserEvent; sent: boolean }[];
  nextSeq: number;
  models: Map<string, Map<string, Profile>>;
}

/**
 * The reference event store, with the memory driver's anomaly switches: `ignoreExpectedVersion`
 * appends at the end whatever was expected; `forkOnConcurrentAppend` lets an append whose slot was
 * just taken succeed at that same version.
 */
class MemoryEventStore implements EventStore {
  private readonly t: MemoryTables;
  private rolls = 0;

  constructor(
    space: Map<string, unknown>,
    private readonly anomalies: Readonly<Record<string, number>>,
  ) {
    let t = space.get('event-store') as MemoryTables | undefined;
    if (!t) {
      t = { streams: new Map(), outbox: [], nextSeq: 1, models: new Map() };
      space.set('event-store', t);
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
    return [...(this.t.streams.get(stream) ?? [])];
  }

  async append(event: Omit<UserEvent, 'version'>, expected: number): Promise<AppendOutcome> {
    const events = this.t.streams.get(event.stream) ?? [];
    let version = expected + 1;
    if (events.length !== expected) {
      if (this.strikes('ignoreExpectedVersion')) version = events.length + 1;
      else if (events.length === expected + 1 && this.strikes('forkOnConcurrentAppend'))
        version = expected + 1;
      else return { status: 'conflict' };
    }
    const stored: UserEvent = { ...event, version };
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

  async apply(group: string, event: UserEvent, applying: () => void): Promise<ApplyOutcome> {
    let model = this.t.models.get(group);
    if (!model) {
      model = new Map();
      this.t.models.set(group, model);
    }
    const current = model.get(event.stream);
    const at = current?.version ?? 0;
    if (event.version <= at) return 'duplicate';
    if (event.version > at + 1) return 'gap';
    applying();
    model.set(event.stream, applyEvent(current, event));
    return 'applied';
  }

  async profiles(group: string) {
    return [...(this.t.models.get(group) ?? new Map<string, Profile>())].map(([stream, p]) => ({
      stream,
      version: p.version,
      digest: digestOf(stream, p),
    }));
  }

  async streams() {
    return new Map(
      [...this.t.streams].map(([s, events]) => [s, [...events].sort((a, b) => a.version - b.version)]),
    );
  }
}
