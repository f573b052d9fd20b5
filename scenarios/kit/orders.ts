import type { SqlSession, StoreAccess } from '../../core/store.ts';
import type { OutgoingMessage } from '../../drivers/driver.ts';

/** An outbox row waiting for the relay. */
export interface OutboxRow {
  seq: number;
  message: OutgoingMessage;
}

/** What the store holds after the drain: each committed order, and whether its outbox row is still unsent. */
export interface PlacedOrder {
  id: string;
  unsent: boolean;
}

/**
 * The business side of the outbox and dual-write scenarios: an `orders` table (one row per placed
 * order — the message's id) and, for the outbox, an `outbox` table written in the same transaction.
 * PostgreSQL for real, memory as the reference.
 */
export interface Orders {
  /**
   * One transaction: the order row and, with `outbox`, its outbox row. `beforeCommit` runs inside
   * it; true (the producer died there) rolls it back and gives undefined. Otherwise true when the
   * order was placed now, false when it existed already (a retried request).
   */
  place(
    message: OutgoingMessage,
    producer: number,
    outbox: boolean,
    beforeCommit: () => Promise<boolean>,
  ): Promise<boolean | undefined>;
  /** This producer's outbox rows not yet marked sent, oldest first. */
  pending(producer: number, limit: number): Promise<OutboxRow[]>;
  markSent(seq: number): Promise<void>;
  placed(): Promise<PlacedOrder[]>;
}

export async function openOrders(access: StoreAccess, create: boolean): Promise<Orders> {
  if (access.kind === 'memory') return new MemoryOrders(access.space);
  if (create) await createTables(access.sql);
  return new PostgresOrders(access.sql);
}

class Died extends Error {}

interface MemoryTables {
  orders: Set<string>;
  outbox: { seq: number; producer: number; message: OutgoingMessage; sent: boolean }[];
  nextSeq: number;
}

class MemoryOrders implements Orders {
  private readonly t: MemoryTables;
  constructor(space: Map<string, unknown>) {
    let t = space.get('orders') as MemoryTables | undefined;
    if (!t) {
      t = { orders: new Set(), outbox: [], nextSeq: 1 };
      space.set('orders', t);
    }
    this.t = t;
  }

  async place(
    message: OutgoingMessage,
    producer: number,
    outbox: boolean,
    beforeCommit: () => Promise<boolean>,
  ) {
    if (this.t.orders.has(message.id)) return false;
    // Staged: the rows appear only at the commit, after `beforeCommit`.
    if (await beforeCommit()) return undefined;
    if (this.t.orders.has(message.id)) return false;
    this.t.orders.add(message.id);
    if (outbox) this.t.outbox.push({ seq: this.t.nextSeq++, producer, message, sent: false });
    return true;
  }

  async pending(producer: number, limit: number) {
    return this.t.outbox
      .filter((r) => r.producer === producer && !r.sent)
      .slice(0, limit)
      .map((r) => ({ seq: r.seq, message: r.message }));
  }

  async markSent(seq: number) {
    const row = this.t.outbox.find((r) => r.seq === seq);
    if (row) row.sent = true;
  }

  async placed() {
    const unsent = new Set(this.t.outbox.filter((r) => !r.sent).map((r) => r.message.id));
    return [...this.t.orders].map((id) => ({ id, unsent: unsent.has(id) }));
  }
}

async function createTables(sql: SqlSession): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query(
      'CREATE TABLE orders (id text PRIMARY KEY, producer int NOT NULL, placed_at timestamptz NOT NULL DEFAULT now())',
    );
    await tx.query(`CREATE TABLE outbox (
      seq bigserial PRIMARY KEY,
      id text NOT NULL REFERENCES orders,
      producer int NOT NULL,
      key text,
      poison boolean NOT NULL,
      payload bytea NOT NULL,
      sent boolean NOT NULL DEFAULT false)`);
    await tx.query('CREATE INDEX outbox_unsent ON outbox (producer, seq) WHERE NOT sent');
  });
}

class PostgresOrders implements Orders {
  constructor(private readonly sql: SqlSession) {}

  async place(
    message: OutgoingMessage,
    producer: number,
    outbox: boolean,
    beforeCommit: () => Promise<boolean>,
  ) {
    try {
      return await this.sql.transaction(async (tx) => {
        const inserted = await tx.query(
          'INSERT INTO orders (id, producer) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id',
          [message.id, producer],
        );
        if (inserted.length === 0) return false;
        if (outbox) {
          await tx.query(
            'INSERT INTO outbox (id, producer, key, poison, payload) VALUES ($1, $2, $3, $4, $5)',
            [message.id, producer, message.key ?? null, message.poison, Buffer.from(message.payload)],
          );
        }
        if (await beforeCommit()) throw new Died();
        return true;
      });
    } catch (error) {
      if (error instanceof Died) return undefined;
      throw error;
    }
  }

  async pending(producer: number, limit: number) {
    const rows = await this.sql.query<{
      seq: string;
      id: string;
      key: string | null;
      poison: boolean;
      payload: Buffer;
    }>(
      'SELECT seq, id, key, poison, payload FROM outbox WHERE producer = $1 AND NOT sent ORDER BY seq LIMIT $2',
      [producer, limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      message: { id: r.id, key: r.key ?? undefined, poison: r.poison, payload: new Uint8Array(r.payload) },
    }));
  }

  async markSent(seq: number) {
    await this.sql.query('UPDATE outbox SET sent = true WHERE seq = $1', [seq]);
  }

  async placed() {
    const rows = await this.sql.query<{ id: string; unsent: boolean }>(
      'SELECT o.id, EXISTS (SELECT 1 FROM outbox x WHERE x.id = o.id AND NOT x.sent) AS unsent FROM orders o',
    );
    return rows.map((r) => ({ id: r.id, unsent: r.unsent }));
  }
}

/** The read-back of the orders: one marker per group, then each committed order (docs/semantics.md). */
export async function readBackOrders(orders: Orders, groups: readonly string[]) {
  const placed = await orders.placed();
  return [
    ...groups.map((group) => ({
      p: 'harness',
      type: 'ok' as const,
      f: 'state' as const,
      group,
      orders: placed.length,
    })),
    ...placed.map((o) => ({
      p: 'harness',
      type: 'ok' as const,
      f: 'state' as const,
      id: o.id,
      committed: true,
      ...(o.unsent && { unsent: true }),
    })),
  ];
}
