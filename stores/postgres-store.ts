/**
 * The PostgreSQL store scenarios keep their state in. One small `pg.Pool` per process, with every
 * timeout set so an outage (a partition, a killed or paused server behind Toxiproxy) becomes a
 * `StoreUnavailableError` within seconds instead of a hang; each case works in a schema of its own.
 *
 *   await using store = await PostgresStore.connect({ connectionString });
 *   const schema = await store.createCaseSchema('work-queue#3');   // bp_work_queue_3_…
 *   await schema.query('CREATE TABLE seen (id text PRIMARY KEY)');
 *   await schema.transaction(async (tx) => { await tx.query('INSERT INTO seen VALUES ($1)', ['m1']); });
 *   // in a consumer worker process: (await PostgresStore.connect(…)).openCaseSchema(schema.name)
 *   await store.dropCaseSchema(schema.name);
 */
import pg from 'pg';
import { redactConnectionString } from '../core/brokers.ts';
import { describeError, UsageError } from '../core/errors.ts';
import { CaseSchema } from './case-schema.ts';
import {
  isStoreUnavailable,
  StoreQueryError,
  type StoreStage,
  StoreUnavailableError,
  toStoreError,
} from './errors.ts';
import { caseSchemaName, isCaseSchemaName, quoteIdent } from './schema-name.ts';

export { CaseSchema, type StoreRunner } from './case-schema.ts';
export { isStoreUnavailable, StoreQueryError, type StoreStage, StoreUnavailableError } from './errors.ts';
export { caseSchemaName, isCaseSchemaName, quoteIdent } from './schema-name.ts';

export interface PostgresStoreOptions {
  /** A `postgres://` URL. It may hold a password: it is never logged (see `redacted`). */
  connectionString: string;
  /** TCP connect + startup, and waiting for a free pooled connection (default 5000 ms). */
  connectTimeoutMs?: number;
  /** The server cancels a statement running longer (default 5000 ms); the client gives up 2 s later. */
  statementTimeoutMs?: number;
  /** The server ends a session idle inside a transaction this long, releasing its locks (default 15 000 ms). */
  idleInTransactionTimeoutMs?: number;
  /** Connections of the pool (default 4: each consumer worker process holds a pool of its own). */
  maxConnections?: number;
  /** Diagnostics (a pooled connection that broke while idle). Never given the password. */
  log?: (line: string) => void;
}

/** The effective settings, for diagnostics and docs. */
export interface StoreSettings {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  queryTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  maxConnections: number;
}

/** A connection checked out of the pool; `release(true)` destroys it (its state is unknown). */
export interface Lease {
  client: pg.PoolClient;
  release(broken: boolean): void;
}

// The search_path each pooled connection has: set once per connection and schema, not per statement.
const searchPathOf = new WeakMap<pg.PoolClient, string>();

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new UsageError(`${name} must be a positive whole number of milliseconds, got ${value}`);
  }
  return value;
}

export class PostgresStore implements AsyncDisposable {
  /** The connection string with its password replaced by `***`. */
  readonly redacted: string;
  readonly settings: StoreSettings;
  private closed = false;
  private readonly schemas = new Set<CaseSchema>();

  private constructor(
    private readonly pool: pg.Pool,
    redacted: string,
    settings: StoreSettings,
    private readonly log: (line: string) => void,
  ) {
    this.redacted = redacted;
    this.settings = settings;
  }

  /** A pool on `connectionString`, checked with `SELECT 1`: throws StoreUnavailableError when unreachable. */
  static async connect(options: PostgresStoreOptions): Promise<PostgresStore> {
    if (!/^postgres(ql)?:\/\//.test(options.connectionString ?? '')) {
      throw new UsageError('the store needs a postgres:// or postgresql:// connection string');
    }
    const statementTimeoutMs = positive('statementTimeoutMs', options.statementTimeoutMs, 5000);
    const settings: StoreSettings = {
      connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 5000),
      statementTimeoutMs,
      // Client-side: a paused or partitioned server never answers, so statement_timeout cannot fire.
      queryTimeoutMs: statementTimeoutMs + 2000,
      idleInTransactionTimeoutMs: positive(
        'idleInTransactionTimeoutMs',
        options.idleInTransactionTimeoutMs,
        15_000,
      ),
      maxConnections: positive('maxConnections', options.maxConnections, 4),
    };
    const redacted = redactConnectionString(options.connectionString);
    const log = options.log ?? (() => {});
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: settings.maxConnections,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      statement_timeout: settings.statementTimeoutMs,
      query_timeout: settings.queryTimeoutMs,
      idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs,
      // Keepalive probes find a vanished peer of an idle connection; the timeouts above cover the rest.
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
      idleTimeoutMillis: 10_000,
      // An idle pool must not keep a worker process alive.
      allowExitOnIdle: true,
      application_name: 'brokerproof',
    });
    // A pooled connection that breaks while idle is reported here; unhandled, it would crash the process.
    pool.on('error', (error) => log(`store ${redacted}: an idle connection broke (${describeError(error)})`));
    const store = new PostgresStore(pool, redacted, settings, log);
    try {
      await store.statement(undefined, 'SELECT 1', [], 'connecting to the store', 'connect');
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
    return store;
  }

  /** Creates the case's schema (a name derived from `caseId`, unique per call) and opens it. */
  async createCaseSchema(caseId: string): Promise<CaseSchema> {
    const name = caseSchemaName(caseId);
    await this.statement(
      undefined,
      `CREATE SCHEMA ${quoteIdent(name)}`,
      [],
      `creating schema ${name}`,
      'statement',
    );
    return this.track(new CaseSchema(this, name));
  }

  /** Opens a schema another process created (a consumer worker attaching to its case's). */
  async openCaseSchema(name: string): Promise<CaseSchema> {
    assertCaseSchema(name);
    const found = await this.statement(
      undefined,
      'SELECT 1 FROM pg_namespace WHERE nspname = $1',
      [name],
      `opening schema ${name}`,
      'statement',
    );
    if (found.length === 0) {
      throw new StoreQueryError(`schema ${name} does not exist`, { code: '3F000' });
    }
    return this.track(new CaseSchema(this, name));
  }

  /** Drops the schema and everything in it; dropping one that is gone is no error. */
  async dropCaseSchema(name: string): Promise<void> {
    assertCaseSchema(name);
    await this.statement(
      undefined,
      `DROP SCHEMA IF EXISTS ${quoteIdent(name)} CASCADE`,
      [],
      `dropping schema ${name}`,
      'statement',
    );
    for (const schema of this.schemas) if (schema.name === name) schema.detach();
  }

  /** Closes every connection (in-flight calls finish first). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const schema of this.schemas) schema.detach();
    await this.pool.end();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * A connection with `search_path` at `schema` (set outside any transaction, once per connection).
   * Failing to get one is stage `connect`: nothing was sent.
   * @internal CaseSchema's
   */
  async lease(schema: string | undefined, what: string): Promise<Lease> {
    if (this.closed) {
      throw new StoreUnavailableError(`${what}: the store was closed`, { stage: 'connect' });
    }
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toStoreError(error, 'connect', what);
    }
    // While checked out the pool does not listen for the connection's errors: we must.
    const onError = (error: Error) => this.log(`store ${this.redacted}: ${describeError(error)}`);
    client.on('error', onError);
    let released = false;
    const lease: Lease = {
      client,
      release: (broken) => {
        if (released) return;
        released = true;
        client.removeListener('error', onError);
        if (broken) searchPathOf.delete(client);
        client.release(broken);
      },
    };
    if (schema !== undefined && searchPathOf.get(client) !== schema) {
      try {
        await client.query(`SET search_path TO ${quoteIdent(schema)}`);
        searchPathOf.set(client, schema);
      } catch (error) {
        lease.release(isStoreUnavailable(error));
        throw toStoreError(error, 'connect', what);
      }
    }
    return lease;
  }

  /**
   * One statement on a pooled connection; a connection that broke is destroyed, not reused.
   * @internal CaseSchema's
   */
  async statement<R extends Record<string, unknown>>(
    schema: string | undefined,
    sql: string,
    params: readonly unknown[],
    what: string,
    stage: StoreStage,
  ): Promise<R[]> {
    const lease = await this.lease(schema, what);
    let broken = false;
    try {
      const result = await lease.client.query<R>(sql, params as unknown[]);
      return result.rows;
    } catch (error) {
      broken = isStoreUnavailable(error);
      throw toStoreError(error, stage, what);
    } finally {
      lease.release(broken);
    }
  }

  private track(schema: CaseSchema): CaseSchema {
    this.schemas.add(schema);
    schema.onClose(() => this.schemas.delete(schema));
    return schema;
  }
}

function assertCaseSchema(name: string): void {
  if (!isCaseSchemaName(name)) {
    throw new UsageError(`${JSON.stringify(name)} is not a case schema name`, {
      hint: 'Case schemas are made by createCaseSchema (bp_<slug>_<hash>_<suffix>); pass its `name` on.',
    });
  }
}
