/**
 * Your handler with a store: the team's handler writes its effects to a real PostgreSQL schema of
 * the case (`context.db`), and after the drain the harness reads the effects back with the team's
 * own query — effects are then judged from the store, as the idempotent-consumer scenario's are
 * (`effectDuplicated`: a message whose effect the store holds twice; `effectMissing`: an
 * acknowledged message processed without one).
 *
 * Crash point `after-effect` strikes inside the handler's writes: right after a write statement run
 * on its own has committed, or just before a transaction's COMMIT (which then never happens). A
 * handler that checks, writes and marks in separate statements is caught crediting twice; one that
 * writes and marks in one transaction is not.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, describeError } from '../../core/errors.ts';
import type { SqlRunner, SqlSession, StoreAccess } from '../../core/store.ts';
import { effectsFromStore, effectsReadBack } from '../idempotent-consumer/checker.ts';
import type { ConsumerStep, Scenario, ScenarioStore } from '../scenario.ts';
import { ConsumerCrashedError } from './consumer-crashed.ts';

/** The handler's store, from the config's `handlerStore`. */
export interface HandlerStoreConfig {
  /** A SQL file (absolute path) run once per case in the case's schema: the handler's tables. */
  schema?: string | undefined;
  /**
   * A query returning one row per message the handler had an effect for: `id` (the message id) and
   * `effects` (how many times its effect is in the store), and `group` when several subscriber
   * groups write (rows without one count for the first group).
   */
  effects: string;
  /** What the handler claims for its effects (default effectively-once). */
  claim?: 'effectively-once' | 'at-least-once' | undefined;
}

/** The case's database as your handler sees it: its own schema, on the search path. */
export interface HandlerDb {
  /** One statement in its own transaction. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<R[]>;
  /** BEGIN … COMMIT around `fn` (ROLLBACK when it throws, or when the consumer dies before COMMIT). */
  transaction<T>(fn: (tx: HandlerDb) => Promise<T>): Promise<T>;
}

/** What the handler store opens to in each consumer: the case's schema. */
export interface OpenedHandlerStore {
  readonly handlerStore: true;
  readonly sql: SqlSession;
}

const WRITE = /^\s*(with\b[\s\S]*\b(insert|update|delete)\b|insert|update|delete|merge)\b/i;

/** The scenario's store: the case's schema with the handler's tables, read back with its query. */
export function handlerStore(config: HandlerStoreConfig): ScenarioStore<OpenedHandlerStore> {
  const schema = config.schema === undefined ? undefined : readSchema(config.schema);
  return {
    async open(access: StoreAccess, { create }) {
      if (access.kind !== 'postgres')
        throw new ConfigError('a handler with a store (`handlerStore`) needs the PostgreSQL store', {
          hint: 'Run with --store postgres (or `store: "postgres"` in the config); `brokerproof brokers up` starts it.',
        });
      if (create && schema) await access.sql.query(schema);
      return { handlerStore: true, sql: access.sql };
    },
    async readBack(store, groups) {
      let rows: Record<string, unknown>[];
      try {
        rows = await store.sql.query(config.effects);
      } catch (cause) {
        throw new ConfigError(`the handler store's effects query failed: ${describeError(cause)}`, {
          cause,
          hint: '`handlerStore.effects` must return columns id and effects (and group with several groups).',
        });
      }
      const first = groups[0] ?? 'default';
      return effectsReadBack(
        groups,
        rows.map((r) => ({
          group: typeof r.group === 'string' ? r.group : first,
          id: String(r.id),
          effects: Number(r.effects),
        })),
      );
    },
  };
}

function readSchema(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read the handler store's schema ${path}: ${describeError(cause)}`, {
      cause,
      hint: '`handlerStore.schema` is a SQL file, relative to the config file.',
    });
  }
}

/**
 * `scenario` (already running your handler) with the handler's store: its tables, its read-back,
 * effects judged from the store, the `after-effect` crash point, and the handler's claim.
 */
export function withStore<S extends Scenario>(scenario: S, config: HandlerStoreConfig): S {
  return {
    ...scenario,
    crashPoints: [...scenario.crashPoints.slice(0, 1), 'after-effect', ...scenario.crashPoints.slice(1)],
    store: handlerStore(config) as ScenarioStore<unknown>,
    checker: effectsFromStore,
    claim: (setup, variant) => ({
      ...scenario.claim(setup, variant),
      delivery: config.claim ?? 'effectively-once',
    }),
    description: `${scenario.description} Effects: judged from the store (${config.effects}).`,
  };
}

/** The handler's `context.db` for one delivery, when the scenario has a handler store. */
export function handlerDb(step: ConsumerStep<unknown>): HandlerDb | undefined {
  const store = step.store as Partial<OpenedHandlerStore> | undefined;
  if (!store?.handlerStore || !store.sql) return undefined;
  const sql = store.sql;
  const guard = () => {
    if (!step.alive()) throw new ConsumerCrashedError();
  };
  const afterWrite = async (statement: string) => {
    if (WRITE.test(statement) && (await step.crashAt('after-effect'))) throw new ConsumerCrashedError();
  };
  const inTransaction = (tx: SqlRunner): HandlerDb => ({
    query: async (statement, params) => {
      guard();
      return tx.query(statement, params);
    },
    transaction: () => Promise.reject(new Error('transactions do not nest: use the one you are in')),
  });
  return {
    query: async (statement, params) => {
      guard();
      const rows = await sql.query(statement, params);
      await afterWrite(statement);
      guard();
      return rows as never;
    },
    transaction: async (fn) => {
      guard();
      return sql.transaction(async (tx) => {
        const result = await fn(inTransaction(tx));
        // Dies before COMMIT: the throw rolls the transaction back.
        if (await step.crashAt('after-effect')) throw new ConsumerCrashedError();
        guard();
        return result;
      });
    },
  };
}
