import type { SqlSession } from '../../core/store.ts';
import { ACCOUNTS, accountOf, type Ledger } from './ledger.ts';

const SCHEMA = [
  `CREATE TABLE accounts (account int PRIMARY KEY, balance bigint NOT NULL DEFAULT 0)`,
  `INSERT INTO accounts (account) SELECT g FROM generate_series(0, ${ACCOUNTS - 1}) AS g`,
  `CREATE TABLE ledger (
     entry bigserial PRIMARY KEY,
     grp text NOT NULL,
     txn text NOT NULL,
     account int NOT NULL REFERENCES accounts,
     amount int NOT NULL)`,
  `CREATE TABLE processed_transactions (grp text NOT NULL, txn text NOT NULL, PRIMARY KEY (grp, txn))`,
];

// One statement: the ledger entry and the balance move together or not at all.
const CREDIT = `WITH entry AS (INSERT INTO ledger (grp, txn, account, amount) VALUES ($1, $2, $3, 1))
  UPDATE accounts SET balance = balance + 1 WHERE account = $3`;

/** Thrown inside a transaction to roll it back when the consumer died before the commit. */
class DiedInTransaction extends Error {}

/** The account-credit ledger in the case's PostgreSQL schema. */
export class PostgresLedger implements Ledger {
  constructor(private readonly sql: SqlSession) {}

  static async create(sql: SqlSession): Promise<PostgresLedger> {
    await sql.transaction(async (tx) => {
      for (const statement of SCHEMA) await tx.query(statement);
    });
    return new PostgresLedger(sql);
  }

  async creditOnce(group: string, txn: string, beforeCommit: () => Promise<boolean>) {
    try {
      return await this.sql.transaction(async (tx) => {
        // The unique key decides: a concurrent transaction with the same id waits here for the
        // first to commit or roll back, then inserts nothing.
        const inserted = await tx.query(
          'INSERT INTO processed_transactions (grp, txn) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING txn',
          [group, txn],
        );
        if (inserted.length === 0) return false;
        await tx.query(CREDIT, [group, txn, accountOf(txn)]);
        if (await beforeCommit()) throw new DiedInTransaction();
        return true;
      });
    } catch (error) {
      if (error instanceof DiedInTransaction) return undefined;
      throw error;
    }
  }

  async isProcessed(group: string, txn: string) {
    const rows = await this.sql.query('SELECT 1 FROM processed_transactions WHERE grp = $1 AND txn = $2', [
      group,
      txn,
    ]);
    return rows.length > 0;
  }

  async credit(group: string, txn: string) {
    await this.sql.query(CREDIT, [group, txn, accountOf(txn)]);
  }

  async markProcessed(group: string, txn: string) {
    await this.sql.query(
      'INSERT INTO processed_transactions (grp, txn) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [group, txn],
    );
  }

  async credits() {
    const rows = await this.sql.query<{ grp: string; txn: string; credits: string }>(
      'SELECT grp, txn, count(*) AS credits FROM ledger GROUP BY grp, txn',
    );
    return rows.map((r) => ({ group: r.grp, txn: r.txn, credits: Number(r.credits) }));
  }
}
