import { createHash } from 'node:crypto';
import type { SqlSession, StoreAccess } from '../../core/store.ts';
import type { ApplyHooks, LoggedEvent, ProjectionOutcome } from '../kit/event-sourcing/event-log.ts';
import { commitIfAlive } from '../kit/event-sourcing/postgres-event-log.ts';

/** A user's current profile: the fold of UserCreated and UserEmailChanged (their `data` is the e-mail). */
export interface Profile {
  version: number;
  email: string;
}

/** Folds one event into a profile (the same fold for the read model and the replay). */
export function applyEvent(profile: Profile | undefined, event: LoggedEvent): Profile {
  return { version: event.version, email: event.data ?? profile?.email ?? '' };
}

export function digestOf(stream: string, profile: Profile): string {
  return createHash('sha1')
    .update(`${stream}|${profile.version}|${profile.email}`)
    .digest('hex')
    .slice(0, 12);
}

/** The projection's read model: the current profile per user and projection, idempotent by version. */
export interface Profiles {
  /**
   * Applies the event to projection `group`'s read model if it is the stream's next version.
   * `hooks.applying` runs once the change is made and the stream's row is locked, just before the
   * commit: what it records is then in the order the store applies (the next version of the stream
   * waits on the lock), whichever process applies it. A dead process commits nothing ('died').
   */
  apply(group: string, event: LoggedEvent, hooks: ApplyHooks): Promise<ProjectionOutcome>;
  /** Projection `group`'s read model: version and digest per stream. */
  profiles(group: string): Promise<{ stream: string; version: number; digest: string }[]>;
}

export async function openProfiles(access: StoreAccess, create: boolean): Promise<Profiles> {
  if (access.kind === 'memory') return new MemoryProfiles(access.space);
  const sql = access.sql as SqlSession;
  if (create)
    await sql.query(`CREATE TABLE profiles (
       grp text NOT NULL,
       stream text NOT NULL,
       version int NOT NULL,
       email text NOT NULL,
       PRIMARY KEY (grp, stream))`);
  return new PostgresProfiles(sql);
}

class MemoryProfiles implements Profiles {
  private readonly models: Map<string, Map<string, Profile>>;

  constructor(space: Map<string, unknown>) {
    let models = space.get('profiles') as Map<string, Map<string, Profile>> | undefined;
    if (!models) {
      models = new Map();
      space.set('profiles', models);
    }
    this.models = models;
  }

  async apply(group: string, event: LoggedEvent, hooks: ApplyHooks): Promise<ProjectionOutcome> {
    let model = this.models.get(group);
    if (!model) {
      model = new Map();
      this.models.set(group, model);
    }
    const current = model.get(event.stream);
    const at = current?.version ?? 0;
    if (event.version <= at) return 'duplicate';
    if (event.version > at + 1) return { gap: event.version - at - 1 };
    if (!hooks.alive()) return 'died';
    hooks.applying();
    model.set(event.stream, applyEvent(current, event));
    return 'applied';
  }

  async profiles(group: string) {
    return [...(this.models.get(group) ?? new Map<string, Profile>())].map(([stream, p]) => ({
      stream,
      version: p.version,
      digest: digestOf(stream, p),
    }));
  }
}

class PostgresProfiles implements Profiles {
  constructor(private readonly sql: SqlSession) {}

  async apply(group: string, event: LoggedEvent, hooks: ApplyHooks): Promise<ProjectionOutcome> {
    return commitIfAlive(this.sql, hooks, async (tx) => {
      // A row to lock even for a new stream: two first applies must not both see version 0.
      await tx.query(
        `INSERT INTO profiles (grp, stream, version, email) VALUES ($1, $2, 0, '') ON CONFLICT DO NOTHING`,
        [group, event.stream],
      );
      const [row] = await tx.query<{ version: number; email: string }>(
        'SELECT version, email FROM profiles WHERE grp = $1 AND stream = $2 FOR UPDATE',
        [group, event.stream],
      );
      const at = row?.version ?? 0;
      if (event.version <= at) return 'duplicate';
      if (event.version > at + 1) return { gap: event.version - at - 1 };
      const next = applyEvent(row, event);
      await tx.query('UPDATE profiles SET version = $3, email = $4 WHERE grp = $1 AND stream = $2', [
        group,
        event.stream,
        next.version,
        next.email,
      ]);
      return 'applied';
    });
  }

  async profiles(group: string) {
    const rows = await this.sql.query<{ stream: string; version: number; email: string }>(
      'SELECT stream, version, email FROM profiles WHERE grp = $1 AND version > 0',
      [group],
    );
    return rows.map((r) => ({ stream: r.stream, version: r.version, digest: digestOf(r.stream, r) }));
  }
}
