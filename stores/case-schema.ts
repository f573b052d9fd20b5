/**
 * One case's schema in the store: statements run with it on the search path, alone or in a
 * transaction. It shares its store's pool; `close` only detaches it (the store closes the pool).
 */
import { isStoreUnavailable, StoreQueryError, StoreUnavailableError, toStoreError } from './errors.ts';
import type { PostgresStore } from './postgres-store.ts';

/** Runs one statement, parameters as `$1, $2, …`; resolves with the rows. */
export interface StoreRunner {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<R[]>;
}

export class CaseSchema implements StoreRunner, AsyncDisposable {
  private open = true;
  private readonly closers: (() => void)[] = [];

  /** @internal made by PostgresStore.createCaseSchema / openCaseSchema */
  constructor(
    private readonly store: PostgresStore,
    readonly name: string,
  ) {}

  /**
   * One statement in its own implicit transaction. A lost connection is a StoreUnavailableError of
   * stage `statement`: it may or may not have taken effect.
   */
  async query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<R[]> {
    this.assertOpen();
    return this.store.statement<R>(this.name, sql, params, `a statement in ${this.name}`, 'statement');
  }

  /**
   * BEGIN, `fn`, COMMIT on one connection; ROLLBACK when `fn` throws (its error is rethrown as is).
   * A connection lost before COMMIT is stage `transaction` (rolled back: nothing happened), while
   * COMMIT is in flight stage `commit` (unknown). A connection that broke is destroyed, not pooled.
   */
  async transaction<T>(fn: (tx: StoreRunner) => Promise<T>): Promise<T> {
    this.assertOpen();
    const what = `a transaction in ${this.name}`;
    const lease = await this.store.lease(this.name, what);
    const { client } = lease;
    let broken = false;
    let active = true;
    const tx: StoreRunner = {
      query: async <R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) => {
        if (!active)
          throw new Error(`the transaction in ${this.name} is over: run statements inside its function`);
        try {
          return (await client.query<R>(sql, params as unknown[])).rows;
        } catch (error) {
          throw toStoreError(error, 'transaction', what);
        }
      },
    };
    try {
      try {
        await client.query('BEGIN');
      } catch (error) {
        throw toStoreError(error, 'transaction', what);
      }
      let result: T;
      try {
        result = await fn(tx);
      } catch (error) {
        active = false;
        if (isStoreUnavailable(error)) {
          broken = true;
        } else {
          try {
            await client.query('ROLLBACK');
          } catch {
            // The caller's error says what went wrong; the connection is simply not reused.
            broken = true;
          }
        }
        throw error;
      }
      active = false;
      let done: { command: string };
      try {
        done = await client.query('COMMIT');
      } catch (error) {
        throw toStoreError(error, 'commit', what);
      }
      // COMMIT of a transaction in which a statement failed (and the caller went on) rolls it back.
      if (done.command === 'ROLLBACK') {
        throw new StoreQueryError(`${what} was rolled back at COMMIT: a statement in it had failed`, {
          code: '25P02',
        });
      }
      return result;
    } catch (error) {
      if (error instanceof StoreUnavailableError) broken = true;
      throw error;
    } finally {
      active = false;
      lease.release(broken);
    }
  }

  /** Detaches from the schema (the schema and the pool stay). Idempotent. */
  async close(): Promise<void> {
    this.detach();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal the store's: the schema was dropped, or the store closed. */
  detach(): void {
    if (!this.open) return;
    this.open = false;
    for (const close of this.closers.splice(0)) close();
  }

  /** @internal */
  onClose(close: () => void): void {
    this.closers.push(close);
  }

  private assertOpen(): void {
    if (!this.open) {
      // Nothing is sent: the caller knows the statement did not run.
      throw new StoreUnavailableError(`schema ${this.name} is closed (or its store is)`, {
        stage: 'connect',
      });
    }
  }
}
