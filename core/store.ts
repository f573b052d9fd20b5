/**
 * The store a scenario keeps its application state in (a ledger, an outbox, an event store), as the
 * scenario sees it: a case's own PostgreSQL schema, or a namespace in the runner's memory (the
 * reference, and the quickstart without any server). Scenarios bring their tables or maps; the
 * runner opens the store, hands it to every consumer and producer of the case, reads it back after
 * the drain and drops it in teardown.
 */

export const STORE_KINDS = ['memory', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export function isStoreKind(value: string): value is StoreKind {
  return (STORE_KINDS as readonly string[]).includes(value);
}

/** Runs SQL: one statement, parameters as `$1, $2, …`. */
export interface SqlRunner {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<R[]>;
}

/** A case's schema: statements run with the schema on the search path. */
export interface SqlSession extends SqlRunner {
  /** BEGIN … COMMIT around `fn`; ROLLBACK when it throws (the error is rethrown). */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

/**
 * Reads back every message of one key from the case's broker, with the broker's position of each
 * (setups whose broker can be the event store; the runner's process only).
 */
export type KeyReader = (key: string) => Promise<{ payload: Uint8Array; position: number }[]>;

/** What a scenario's store is opened on. */
export type StoreAccess = (
  | {
      kind: 'memory';
      /** Shared by every client of the case in the runner's process (memory stores run consumers inline). */
      space: Map<string, unknown>;
      /** Anomalies to inject on purpose, with their rates (the memory driver's `anomalies`). */
      anomalies?: Readonly<Record<string, number>> | undefined;
    }
  | { kind: 'postgres'; sql: SqlSession }
) & { readKey?: KeyReader | undefined };
