import type { SqlRunner, SqlSession } from '../../../core/store.ts';
import {
  type AppendOutcome,
  type ApplyHooks,
  DiedBeforeCommit,
  type EventLog,
  type LoggedEvent,
  type PendingEvent,
  type ProjectionOutcome,
} from './event-log.ts';

const SCHEMA = [
  `CREATE TABLE events (
     stream text NOT NULL,
     version int NOT NULL,
     id text NOT NULL,
     type text NOT NULL,
     data text NOT NULL,
     PRIMARY KEY (stream, version))`,
  `CREATE TABLE event_outbox (
     seq bigserial PRIMARY KEY,
     stream text NOT NULL,
     version int NOT NULL,
     sent boolean NOT NULL DEFAULT false)`,
  'CREATE INDEX event_outbox_unsent ON event_outbox (seq) WHERE NOT sent',
];

/** The unique key on (stream, version) refused the append: someone else took that version. */
const UNIQUE_VIOLATION = '23505';

type EventRow = LoggedEvent & Record<string, unknown>;

/**
 * The event log in PostgreSQL: one row per event, unique (stream, version), so of two writers that
 * read the same version exactly one appends; the outbox row goes in the same transaction.
 */
export class PostgresEventLog implements EventLog {
  constructor(private readonly sql: SqlSession) {}

  static async create(sql: SqlSession): Promise<PostgresEventLog> {
    await sql.transaction(async (tx) => {
      for (const statement of SCHEMA) await tx.query(statement);
    });
    return new PostgresEventLog(sql);
  }

  async read(stream: string) {
    return this.sql.query<EventRow>(
      'SELECT stream, version, id, type, data FROM events WHERE stream = $1 ORDER BY version',
      [stream],
    );
  }

  async append(event: Omit<LoggedEvent, 'version'>, expected: number): Promise<AppendOutcome> {
    const version = expected + 1;
    try {
      await this.sql.transaction(async (tx) => {
        await tx.query('INSERT INTO events (stream, version, id, type, data) VALUES ($1, $2, $3, $4, $5)', [
          event.stream,
          version,
          event.id,
          event.type,
          event.data,
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
    const rows = await this.sql.query<EventRow & { seq: string }>(
      `SELECT o.seq, e.stream, e.version, e.id, e.type, e.data
         FROM event_outbox o JOIN events e USING (stream, version)
        WHERE NOT o.sent ORDER BY o.seq LIMIT $1`,
      [limit * 8],
    );
    return rows
      .filter((r) => owns(r.stream))
      .slice(0, limit)
      .map(({ seq, ...event }) => ({ seq: Number(seq), event: event as LoggedEvent }));
  }

  async markSent(seq: number) {
    await this.sql.query('UPDATE event_outbox SET sent = true WHERE seq = $1', [seq]);
  }

  async streams() {
    const rows = await this.sql.query<EventRow>(
      'SELECT stream, version, id, type, data FROM events ORDER BY stream, version',
    );
    const out = new Map<string, LoggedEvent[]>();
    for (const r of rows) out.set(r.stream, [...(out.get(r.stream) ?? []), r]);
    return out;
  }
}

/**
 * A projection's transaction that commits only while its process is alive: after `body` made its
 * change, a dead process rolls back ('died'); a live one records the apply (`hooks.applying`, when
 * `body` applied and `records`) and commits. Recorded under the row locks `body` took, so the
 * applies of a stream are recorded in the order they commit.
 */
export async function commitIfAlive(
  sql: SqlSession,
  hooks: ApplyHooks,
  body: (tx: SqlRunner) => Promise<ProjectionOutcome>,
  records = true,
): Promise<ProjectionOutcome> {
  try {
    return await sql.transaction(async (tx) => {
      const outcome = await body(tx);
      if (outcome !== 'applied') return outcome;
      if (!hooks.alive()) throw new DiedBeforeCommit();
      if (records) hooks.applying();
      return outcome;
    });
  } catch (error) {
    if (error instanceof DiedBeforeCommit) return 'died';
    throw error;
  }
}
