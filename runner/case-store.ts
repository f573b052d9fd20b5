import { sleep } from '../core/clock.ts';
import type { EventInput } from '../core/events.ts';
import type { FaultTargets } from '../core/fault-targets.ts';
import type { KeyReader, StoreAccess, StoreKind } from '../core/store.ts';
import type { Scenario } from '../scenarios/scenario.ts';

/**
 * Which store a run keeps scenario state in. PostgreSQL comes with a connection string (it may hold
 * a password: it never reaches a history or a report) and where faults with role `store` reach it.
 */
export type StoreChoice =
  | { kind: 'memory'; anomalies?: Readonly<Record<string, number>> | undefined }
  | { kind: 'postgres'; url: string; faultTargets?: FaultTargets | undefined };

/** What a consumer worker needs to open the case's store (the URL travels in the environment). */
export type StoreSpec = { kind: 'memory' } | { kind: 'postgres'; schema: string };

/** The environment variable a worker reads the store's connection string from (never argv: it may hold a password). */
export const STORE_URL_ENV = 'BROKERPROOF_STORE_URL';

export function defaultStoreKind(driver: string): StoreKind {
  return driver === 'memory' ? 'memory' : 'postgres';
}

/**
 * A case's store, as the runner holds it: a memory space or a PostgreSQL schema of the case's own,
 * the scenario's tables created in it, opened for the runner's process. `readBack` turns what it
 * holds into history events after the drain; `dispose` drops the schema.
 */
export class CaseStore {
  private constructor(
    readonly kind: StoreKind,
    readonly opened: unknown,
    readonly spec: StoreSpec,
    private readonly scenario: Scenario,
    private release: () => Promise<void>,
  ) {}

  static async create(
    scenario: Scenario,
    choice: StoreChoice,
    caseId: string,
    variant: string,
    readKey?: KeyReader,
  ): Promise<CaseStore | undefined> {
    const store = scenario.store;
    if (!store) return undefined;
    if (choice.kind === 'memory') {
      const access: StoreAccess = { kind: 'memory', space: new Map(), anomalies: choice.anomalies, readKey };
      const opened = await store.open(access, { create: true, variant });
      return new CaseStore('memory', opened, { kind: 'memory' }, scenario, async () => {});
    }
    // Loaded only when a case keeps its state in PostgreSQL.
    const { PostgresStore } = await import('../stores/postgres-store.ts');
    const pg = await PostgresStore.connect({ connectionString: choice.url });
    try {
      const schema = await pg.createCaseSchema(caseId);
      const opened = await store.open({ kind: 'postgres', sql: schema, readKey }, { create: true, variant });
      return new CaseStore(
        'postgres',
        opened,
        { kind: 'postgres', schema: schema.name },
        scenario,
        async () => {
          await schema.close().catch(() => {});
          await pg.dropCaseSchema(schema.name);
        },
      ).withClose(() => pg.close());
    } catch (error) {
      await pg.close().catch(() => {});
      throw error;
    }
  }

  private closers: (() => Promise<void>)[] = [];
  private withClose(close: () => Promise<void>): this {
    this.closers.push(close);
    return this;
  }

  async readBack(groups: readonly string[]): Promise<EventInput[]> {
    return this.scenario.store!.readBack(this.opened, groups);
  }

  /** Drops what the case created in the store. Idempotent. */
  async dispose(): Promise<void> {
    const release = this.release;
    this.release = async () => {};
    try {
      await release();
    } finally {
      for (const close of this.closers.splice(0)) await close().catch(() => {});
    }
  }
}

/** How long a consumer worker waits for an unreachable store before it gives up. */
const WORKER_STORE_WAIT_MS = 120_000;

/** Opens the case's store in a consumer worker process; `close` releases its connections. */
export async function openWorkerStore(
  scenario: Scenario,
  spec: StoreSpec | undefined,
  variant: string,
): Promise<{ opened: unknown; close(): Promise<void> }> {
  if (!scenario.store || !spec) return { opened: undefined, close: async () => {} };
  if (spec.kind === 'memory') {
    throw new Error('a memory store cannot be shared with worker processes: consumers run inline with it');
  }
  const url = process.env[STORE_URL_ENV];
  if (!url) throw new Error(`${STORE_URL_ENV} is not set: the worker cannot reach the store`);
  const { PostgresStore } = await import('../stores/postgres-store.ts');
  // A worker restarted during a store outage waits for the store, as a service's supervisor would
  // keep restarting it: its consumer must not be lost for the rest of the case.
  let pg: Awaited<ReturnType<typeof PostgresStore.connect>> | undefined;
  let schema: Awaited<ReturnType<NonNullable<typeof pg>['openCaseSchema']>> | undefined;
  const deadline = Date.now() + WORKER_STORE_WAIT_MS;
  for (let delay = 100; !schema; delay = Math.min(delay * 2, 2_000)) {
    try {
      pg = await PostgresStore.connect({ connectionString: url });
      schema = await pg.openCaseSchema(spec.schema);
    } catch (error) {
      await pg?.close().catch(() => {});
      pg = undefined;
      if (Date.now() + delay > deadline) throw error;
      await sleep(delay);
    }
  }
  const opened = await scenario.store.open({ kind: 'postgres', sql: schema }, { create: false, variant });
  return {
    opened,
    close: async () => {
      await schema.close().catch(() => {});
      await pg?.close().catch(() => {});
    },
  };
}
