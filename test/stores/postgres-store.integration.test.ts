/**
 * The store against the real PostgreSQL of `brokerproof brokers up` (brought up like any broker a
 * test needs), through its Toxiproxy proxy: schemas, transactions, a unique key deciding between
 * concurrent transactions, a partition turning into StoreUnavailableError within the timeout, and
 * committed rows surviving kill -9 — done with the process control the nemesis uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresEndpoint } from '../../provision/endpoints.ts';
import { killBroker, pauseBroker, resumeBroker, startBroker } from '../../provision/local/process-control.ts';
import { storeFaultTargets } from '../../provision/store.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';
import {
  type CaseSchema,
  isStoreUnavailable,
  PostgresStore,
  StoreQueryError,
  StoreUnavailableError,
} from '../../stores/postgres-store.ts';
import { requireBroker } from '../helpers/brokers.ts';

const STATEMENT_TIMEOUT_MS = 1500;
const CONNECT_TIMEOUT_MS = 1500;

let endpoint: PostgresEndpoint;
let toxiproxy: ToxiproxyApi;
let store: PostgresStore;
let schema: CaseSchema;
const logs: string[] = [];

beforeAll(async () => {
  endpoint = await requireBroker('postgres');
  toxiproxy = new ToxiproxyApi(endpoint.toxiproxy!.apiUrl);
  store = await PostgresStore.connect({
    connectionString: endpoint.connectionString,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    log: (line) => logs.push(line),
  });
  schema = await store.createCaseSchema(`store-it#${process.pid}`);
  await schema.query('CREATE TABLE seen (id text PRIMARY KEY, n int NOT NULL DEFAULT 0)');
}, 300_000);

afterAll(async () => {
  await toxiproxy?.heal(endpoint.toxiproxy!.proxy).catch(() => {});
  if (schema) await store.dropCaseSchema(schema.name).catch(() => {});
  await store?.close();
});

/** Retries until the store answers again (after a heal or a restart). */
async function untilAvailable<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!isStoreUnavailable(error) || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('PostgresStore against the real PostgreSQL', () => {
  it('goes through the Toxiproxy proxy, and a SELECT there is fast', async () => {
    expect(endpoint).toMatchObject({ broker: 'postgres', proxied: true, toxiproxy: { proxy: 'postgres' } });
    expect(storeFaultTargets(endpoint, true)).toEqual({ toxiproxy: endpoint.toxiproxy, broker: 'postgres' });
    await schema.query('SELECT 1');
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await schema.query('SELECT 1');
    const perQuery = (performance.now() - t0) / 20;
    console.info(`query latency through the proxy: ${perQuery.toFixed(2)} ms`);
    expect(perQuery).toBeLessThan(50);
  });

  it('creates, attaches to and drops a case schema; statements run on its search path', async () => {
    await using other = await PostgresStore.connect({ connectionString: endpoint.connectionString });
    const made = await other.createCaseSchema('Work Queue #7 / "quoted"; DROP TABLE x');
    expect(made.name).toMatch(/^bp_work_queue_7_quoted_drop_table_x_[0-9a-f]{8}_[a-z0-9]{6}$/);
    await made.query('CREATE TABLE t (v int)');
    await made.query('INSERT INTO t VALUES ($1), ($2)', [1, 2]);
    // Another process attaches by name and sees the same tables unqualified.
    await using worker = await PostgresStore.connect({ connectionString: endpoint.connectionString });
    const attached = await worker.openCaseSchema(made.name);
    expect(await attached.query<{ sum: string }>('SELECT sum(v) FROM t')).toEqual([{ sum: '3' }]);
    // Each schema's statements see their own tables on a shared pool.
    await expect(schema.query('SELECT * FROM t')).rejects.toBeInstanceOf(StoreQueryError);
    await other.dropCaseSchema(made.name);
    await other.dropCaseSchema(made.name);
    await expect(worker.openCaseSchema(made.name)).rejects.toMatchObject({ code: '3F000' });
    await expect(worker.openCaseSchema('public')).rejects.toThrow(/not a case schema name/);
  });

  it('commits a transaction, and rolls one back when its function throws', async () => {
    const result = await schema.transaction(async (tx) => {
      await tx.query('INSERT INTO seen (id) VALUES ($1)', ['committed']);
      return 'done';
    });
    expect(result).toBe('done');
    const oops = new Error('oops');
    await expect(
      schema.transaction(async (tx) => {
        await tx.query('INSERT INTO seen (id) VALUES ($1)', ['rolled-back']);
        throw oops;
      }),
    ).rejects.toBe(oops);
    // A statement that failed inside makes COMMIT a rollback, which is reported, not hidden.
    await expect(
      schema.transaction(async (tx) => {
        await tx.query('INSERT INTO seen (id) VALUES ($1)', ['after-failure']);
        await tx.query('INSERT INTO seen (id) VALUES ($1)', ['committed']).catch(() => {});
      }),
    ).rejects.toMatchObject({ name: 'StoreQueryError', code: '25P02' });
    const rows = await schema.query<{ id: string }>('SELECT id FROM seen ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual(['committed']);
  });

  it('concurrent transactions on one unique key: exactly one wins, the others get the violation', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) =>
        schema.transaction(async (tx) => {
          await tx.query('INSERT INTO seen (id, n) VALUES ($1, $2)', ['contended', i]);
          await tx.query('SELECT pg_sleep(0.05)');
          return i;
        }),
      ),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(3);
    for (const error of lost) {
      expect(error).toBeInstanceOf(StoreQueryError);
      expect(error).toMatchObject({ code: '23505', constraint: 'seen_pkey' });
      expect(isStoreUnavailable(error)).toBe(false);
    }
    const [row] = await schema.query<{ n: number }>('SELECT n FROM seen WHERE id = $1', ['contended']);
    expect(row?.n).toBe((won[0] as PromiseFulfilledResult<number>).value);
  });

  it('a partition is a StoreUnavailableError within the timeout; healed, the store works again', async () => {
    const proxy = endpoint.toxiproxy!.proxy;
    await schema.query('SELECT 1');
    await toxiproxy.setEnabled(proxy, false);
    let error: unknown;
    const t0 = performance.now();
    try {
      await schema.query('INSERT INTO seen (id) VALUES ($1)', ['during-partition']);
    } catch (e) {
      error = e;
    }
    const ms = performance.now() - t0;
    try {
      console.info(`partition → ${(error as Error)?.name} after ${ms.toFixed(0)} ms`);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(isStoreUnavailable(error)).toBe(true);
      expect(ms).toBeLessThan(CONNECT_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + 2500);
      // A transaction cut off is unavailable too, and not left hanging.
      await expect(schema.transaction((tx) => tx.query('SELECT 1'))).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    } finally {
      await toxiproxy.setEnabled(proxy, true);
    }
    await untilAvailable(() => schema.query('INSERT INTO seen (id) VALUES ($1)', ['after-partition']));
    expect(await schema.query('SELECT id FROM seen WHERE id = $1', ['after-partition'])).toHaveLength(1);
  });

  it('a paused server is a StoreUnavailableError within the client timeout, never a hang', async () => {
    await schema.query('SELECT 1');
    pauseBroker('postgres');
    let error: unknown;
    let connectError: unknown;
    let connectMs = 0;
    const t0 = performance.now();
    try {
      await schema.query('SELECT 1');
    } catch (e) {
      error = e;
    }
    const ms = performance.now() - t0;
    try {
      // A new connection: TCP is accepted (by Toxiproxy, by the kernel) but startup is never answered.
      const t1 = performance.now();
      await PostgresStore.connect({
        connectionString: endpoint.connectionString,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
      }).catch((e) => {
        connectError = e;
      });
      connectMs = performance.now() - t1;
    } finally {
      resumeBroker('postgres');
    }
    expect(connectError).toMatchObject({ name: 'StoreUnavailableError', stage: 'connect' });
    expect(connectMs).toBeLessThan(CONNECT_TIMEOUT_MS + 1000);
    console.info(
      `pause → ${(error as Error)?.name} (${(error as StoreUnavailableError)?.stage}) after ${ms.toFixed(0)} ms`,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(ms).toBeLessThan(store.settings.queryTimeoutMs + 1000);
    await untilAvailable(() => schema.query('SELECT 1'));
  });

  it('committed rows survive kill -9 and a restart on the same data', async () => {
    await schema.transaction(async (tx) => {
      for (let i = 0; i < 50; i++) await tx.query('INSERT INTO seen (id) VALUES ($1)', [`durable-${i}`]);
    });
    const killed = await killBroker('postgres');
    await expect(schema.query('SELECT 1')).rejects.toBeInstanceOf(StoreUnavailableError);
    const t0 = performance.now();
    const restarted = await startBroker('postgres');
    console.info(
      `restart after kill -9 (crash recovery) healthy in ${(performance.now() - t0).toFixed(0)} ms`,
    );
    expect(restarted.pid).not.toBe(killed.pid);
    const rows = await untilAvailable(() =>
      schema.query<{ count: string }>("SELECT count(*) FROM seen WHERE id LIKE 'durable-%'"),
    );
    expect(rows).toEqual([{ count: '50' }]);
    // The pool's connections died with the server; that was logged, and nothing crashed.
    expect(logs.some((l) => l.includes('***') || l.includes(endpoint.redacted))).toBe(true);
  }, 60_000);
});
