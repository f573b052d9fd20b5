import type { SqlSession } from '../../core/store.ts';
import {
  type AppendOutcome,
  type ApplyOutcome,
  applyEvent,
  digestOf,
  type EventStore,
  type PendingEvent,
  type UserEvent,
} from './event-store.ts';

const SCHEMA = [
  `CREATE TABLE events (
     stream text NOT NULL,
     version int NOT NULL,
     id text NOT NULL,
     type text NOT NULL,
     email text NOT NULL,
     PRIMARY KEY (stream, version))`,
  `CREATE TABLE event_outbox (
     seq bigserial PRIMARY KEY,
     stream text NOT NULL,
     version int NOT NULL,
     sent boolean NOT NULL DEFAULT false)`,
  'CREATE INDEX event_outbox_unsent ON event_outbox (seq) WHERE NOT sent',
  `CREATE TABLE profiles (
     grp text NOT NULL,
     stream text NOT NULL,
     version int NOT NULL,
     email text NOT NULL,
     PRIMARY KEY (grp, stream))`,
];

/** The unique key on (stream, version) refused the append: someone else took that version. */
const UNIQUE_VIOLATION = '23505';

interface EventRow {
  stream: string;
  version: number;
  id: string;
  type: UserEvent['type'];
  email: string;
}

/**
 * The event store in PostgreSQL: one row per event, unique (stream, version), so of two writers
 * that read the same version exactly one appends; the outbox row goes in the same transaction.
 */
export class PostgresEventStore implements EventStore {
  constructor(private readonly sql: SqlSession) {}

  static async create(sql: SqlSession): Promise<PostgresEventStore> {
    await sql.transaction(async (tx) => {
      for (const statement of SCHEMA) await tx.query(statement);
    });
    return new PostgresEventStore(sql);
  }

  async read(stream: string) {
    return this.sql.query<EventRow & Record<string, unknown>>(
      'SELECT stream, version, id, type, email FROM events WHERE stream = $1 ORDER BY version',
      [stream],
    );
  }

  async append(event: Omit<UserEvent, 'version'>, expected: number): Promise<AppendOutcome> {
    const version = expected + 1;
    try {
      await this.sql.transaction(async (tx) => {
        await tx.query('INSERT INTO events (stream, version, id, type, email) VALUES ($1, $2, $3, $4, $5)', [
          event.stream,
          version,
          event.id,
          event.type,
          event.email,
        ]);
        await tx.query('INSERT INTO event_outbox (stream, version) VALUES ($1, $2)', [event.stream, version]);
      });
      return { status: 'ok', version };
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return { status: 'conflict' };
      throw error;
    }
  }

  async pending(owns: (stream: string) => boolean, limit: number): Promise<PendingEvent[]> {
    // Read a wider window and keep this relay's streams: streams are few, rows small.
    const rows = await this.sql.query<EventRow & { seq: string } & Record<string, unknown>>(
      `SELECT o.seq, e.stream, e.version, e.id, e.type, e.email
         FROM event_outbox o JOIN events e USING (stream, version)
        WHERE NOT o.sent ORDER BY o.seq LIMIT $1`,
      [limit * 8],
    );
    return rows
      .filter((r) => owns(r.stream))
      .slice(0, limit)
      .map(({ seq, ...event }) => ({ seq: Number(seq), event }));
  }

  async markSent(seq: number) {
    await this.sql.query('UPDATE event_outbox SET sent = true WHERE seq = $1', [seq]);
  }

  async apply(group: string, event: UserEvent, applying: () => void): Promise<ApplyOutcome> {
    return this.sql.transaction(async (tx) => {
      const [row] = await tx.query<{ version: number; email: string }>(
        'SELECT version, email FROM profiles WHERE grp = $1 AND stream = $2 FOR UPDATE',
        [group, event.stream],
      );
      const at = row?.version ?? 0;
      if (event.version <= at) return 'duplicate';
      if (event.version > at + 1) return 'gap';
      const next = applyEvent(row, event);
      await tx.query(
        `INSERT INTO profiles (grp, stream, version, email) VALUES ($1, $2, $3, $4)
         ON CONFLICT (grp, stream) DO UPDATE SET version = $3, email = $4`,
        [group, event.stream, next.version, next.email],
      );
      applying();
      return 'applied';
    });
  }

  async profiles(group: string) {
    const rows = await this.sql.query<{ stream: string; version: number; email: string }>(
      'SELECT stream, version, email FROM profiles WHERE grp = $1',
      [group],
    );
    return rows.map((r) => ({ stream: r.stream, version: r.version, digest: digestOf(r.stream, r) }));
  }

  async streams() {
    const rows = await this.sql.query<EventRow & Record<string, unknown>>(
      'SELECT stream, version, id, type, email FROM events ORDER BY stream, version',
    );
    const out = new Map<string, UserEvent[]>();
    for (const r of rows) out.set(r.stream, [...(out.get(r.stream) ?? []), r]);
    return out;
  }
}
