import type { StoreAccess } from '../../core/store.ts';

/**
 * The seed's example, "credit an account only once per transaction ID": a ledger of credits and a
 * table of processed transaction ids, per subscriber group (each group is a service of its own).
 * Two implementations with the same meaning: PostgreSQL (the real store) and memory (the reference).
 */
export interface Ledger {
  /**
   * One transaction: insert the processed id and credit the account, unless the id was processed
   * already. `beforeCommit` runs inside the transaction; when it returns true (the consumer died
   * there) the transaction is rolled back and `undefined` returned. Otherwise: whether it applied.
   */
  creditOnce(group: string, txn: string, beforeCommit: () => Promise<boolean>): Promise<boolean | undefined>;
  /** Separate statements, as check-then-act code does them: look up, credit, mark processed. */
  isProcessed(group: string, txn: string): Promise<boolean>;
  credit(group: string, txn: string): Promise<void>;
  markProcessed(group: string, txn: string): Promise<void>;
  /** What the ledger holds: credits per (group, transaction id). */
  credits(): Promise<{ group: string; txn: string; credits: number }[]>;
}

export const ACCOUNTS = 8;

/** The account a transaction credits: spread over a few accounts, so credits contend for rows. */
export function accountOf(txn: string): number {
  let h = 0;
  for (let k = 0; k < txn.length; k++) h = (h * 31 + txn.charCodeAt(k)) | 0;
  return Math.abs(h) % ACCOUNTS;
}

interface MemoryTables {
  credits: Map<string, number>;
  processed: Set<string>;
  /** Per-key lock: what the unique index on processed ids does for concurrent transactions. */
  locks: Map<string, Promise<unknown>>;
}

const key = (group: string, txn: string) => `${group}\u0000${txn}`;

/** The reference ledger, in the case's memory space (consumers run in the runner's process). */
export class MemoryLedger implements Ledger {
  private readonly t: MemoryTables;

  constructor(access: Extract<StoreAccess, { kind: 'memory' }>) {
    let tables = access.space.get('ledger') as MemoryTables | undefined;
    if (!tables) {
      tables = { credits: new Map(), processed: new Set(), locks: new Map() };
      access.space.set('ledger', tables);
    }
    this.t = tables;
  }

  async creditOnce(group: string, txn: string, beforeCommit: () => Promise<boolean>) {
    const k = key(group, txn);
    const previous = this.t.locks.get(k) ?? Promise.resolve();
    const run = previous.then(async () => {
      if (this.t.processed.has(k)) return false;
      // Staged: nothing is visible until the commit below, and a death before it leaves no trace.
      if (await beforeCommit()) return undefined;
      this.t.processed.add(k);
      this.t.credits.set(k, (this.t.credits.get(k) ?? 0) + 1);
      return true;
    });
    this.t.locks.set(
      k,
      run.catch(() => {}),
    );
    return run;
  }

  async isProcessed(group: string, txn: string) {
    return this.t.processed.has(key(group, txn));
  }

  async credit(group: string, txn: string) {
    const k = key(group, txn);
    this.t.credits.set(k, (this.t.credits.get(k) ?? 0) + 1);
  }

  async markProcessed(group: string, txn: string) {
    this.t.processed.add(key(group, txn));
  }

  async credits() {
    return [...this.t.credits].map(([k, credits]) => {
      const [group, txn] = k.split('\u0000') as [string, string];
      return { group, txn, credits };
    });
  }
}
