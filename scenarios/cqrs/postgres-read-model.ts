import type { SqlRunner, SqlSession } from '../../core/store.ts';
import type { LoggedEvent, ProjectionOutcome } from '../kit/event-sourcing/event-log.ts';
import { commitIfAlive } from '../kit/event-sourcing/postgres-event-log.ts';
import type { OrderList, OrderStatus } from './orders.ts';
import { type CheckpointHooks, type Checkpointing, judgeNext, type OrderLists } from './read-model.ts';

const SCHEMA = [
  `CREATE TABLE order_checkpoints (
     grp text NOT NULL, stream text NOT NULL, version int NOT NULL,
     PRIMARY KEY (grp, stream))`,
  `CREATE TABLE order_lists (
     grp text NOT NULL, stream text NOT NULL, version int NOT NULL,
     PRIMARY KEY (grp, stream))`,
  `CREATE TABLE order_rows (
     grp text NOT NULL, stream text NOT NULL, order_id text NOT NULL, status text NOT NULL,
     PRIMARY KEY (grp, stream, order_id))`,
];

/**
 * The query model in PostgreSQL: a checkpoint row per (projection, customer), locked FOR UPDATE
 * by every apply, so the applies of one stream go one at a time; the list is a version row and
 * one row per order, written with upserts.
 */
export class PostgresOrderLists implements OrderLists {
  constructor(private readonly sql: SqlSession) {}

  static async create(sql: SqlSession): Promise<PostgresOrderLists> {
    await sql.transaction(async (tx) => {
      for (const statement of SCHEMA) await tx.query(statement);
    });
    return new PostgresOrderLists(sql);
  }

  async apply(
    group: string,
    event: LoggedEvent,
    checkpointing: Checkpointing,
    hooks: CheckpointHooks,
  ): Promise<ProjectionOutcome> {
    const judged = async (tx: SqlRunner) => judgeNext(await lockCheckpoint(tx, group, event.stream), event);
    if (checkpointing === 'checkpoint-in-transaction') {
      return commitIfAlive(this.sql, hooks, async (tx) => {
        const next = await judged(tx);
        if (next !== 'applied') return next;
        if (await hooks.between()) return 'died'; // rolled back with nothing written
        await writeList(tx, group, event);
        await setCheckpoint(tx, group, event);
        return next;
      });
    }
    if (checkpointing === 'checkpoint-after') {
      const first = await commitIfAlive(this.sql, hooks, async (tx) => {
        const next = await judged(tx);
        if (next === 'applied') await writeList(tx, group, event);
        return next;
      });
      if (first !== 'applied') return first;
      if ((await hooks.between()) || !hooks.alive()) return 'died';
      await setCheckpoint(this.sql, group, event);
      return first;
    }
    const first = await commitIfAlive(
      this.sql,
      hooks,
      async (tx) => {
        const next = await judged(tx);
        if (next === 'applied') await setCheckpoint(tx, group, event);
        return next;
      },
      false,
    );
    if (first !== 'applied') return first;
    if ((await hooks.between()) || !hooks.alive()) return 'died';
    return commitIfAlive(this.sql, hooks, async (tx) => {
      await writeList(tx, group, event);
      return 'applied';
    });
  }

  async list(group: string, stream: string): Promise<OrderList> {
    const [head] = await this.sql.query<{ version: number }>(
      'SELECT version FROM order_lists WHERE grp = $1 AND stream = $2',
      [group, stream],
    );
    const rows = await this.sql.query<{ order_id: string; status: OrderStatus }>(
      'SELECT order_id, status FROM order_rows WHERE grp = $1 AND stream = $2',
      [group, stream],
    );
    return { version: head?.version ?? 0, orders: new Map(rows.map((r) => [r.order_id, r.status])) };
  }

  async lists(group: string) {
    const heads = await this.sql.query<{ stream: string; version: number }>(
      'SELECT stream, version FROM order_lists WHERE grp = $1',
      [group],
    );
    const rows = await this.sql.query<{ stream: string; order_id: string; status: OrderStatus }>(
      'SELECT stream, order_id, status FROM order_rows WHERE grp = $1',
      [group],
    );
    return heads.map((h) => ({
      stream: h.stream,
      list: {
        version: h.version,
        orders: new Map(rows.filter((r) => r.stream === h.stream).map((r) => [r.order_id, r.status])),
      },
    }));
  }
}

/** Locks the (projection, stream) checkpoint row, creating it at 0, and returns its version. */
async function lockCheckpoint(tx: SqlRunner, group: string, stream: string): Promise<number> {
  await tx.query(
    'INSERT INTO order_checkpoints (grp, stream, version) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING',
    [group, stream],
  );
  const [row] = await tx.query<{ version: number }>(
    'SELECT version FROM order_checkpoints WHERE grp = $1 AND stream = $2 FOR UPDATE',
    [group, stream],
  );
  return row?.version ?? 0;
}

async function setCheckpoint(sql: SqlRunner, group: string, event: LoggedEvent): Promise<void> {
  await sql.query(
    'UPDATE order_checkpoints SET version = GREATEST(version, $3) WHERE grp = $1 AND stream = $2',
    [group, event.stream, event.version],
  );
}

/** The list's change: its version row (locking it), then the order's row. */
async function writeList(tx: SqlRunner, group: string, event: LoggedEvent): Promise<void> {
  await tx.query(
    `INSERT INTO order_lists (grp, stream, version) VALUES ($1, $2, $3)
     ON CONFLICT (grp, stream) DO UPDATE SET version = $3`,
    [group, event.stream, event.version],
  );
  await tx.query(
    `INSERT INTO order_rows (grp, stream, order_id, status) VALUES ($1, $2, $3, $4)
     ON CONFLICT (grp, stream, order_id) DO UPDATE SET status = $4`,
    [group, event.stream, event.data, event.type === 'OrderCancelled' ? 'cancelled' : 'open'],
  );
}
