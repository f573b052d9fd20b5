// Effects per second with PostgreSQL: the idempotent consumer's ledger writes as a consumer makes
// them (through Toxiproxy, as cases do), at a few concurrencies, for each variant's statements;
// then whole cases on the memory broker with the ledger in PostgreSQL versus in memory.
//
//   npm run bench:store            (brings PostgreSQL up like `brokerproof brokers up --only postgres`)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryDriver } from '../../drivers/memory/memory-driver.ts';
import { brokersUp, endpointsFor } from '../../provision/local/index.ts';
import type { CasePlan } from '../../runner/case.ts';
import type { StoreChoice } from '../../runner/case-store.ts';
import { runCase } from '../../runner/run-case.ts';
import { idempotentConsumer } from '../../scenarios/idempotent-consumer/index.ts';
import { PostgresLedger } from '../../scenarios/idempotent-consumer/postgres-ledger.ts';
import { plainWorkload } from '../../scenarios/scenario.ts';
import { PostgresStore } from '../../stores/postgres-store.ts';

const EFFECTS = Number(process.env.BENCH_EFFECTS ?? 4000);
const CONCURRENCY = [1, 4, 16];

async function ledgerRates(url: string): Promise<void> {
  const store = await PostgresStore.connect({ connectionString: url, maxConnections: 16 });
  try {
    for (const concurrency of CONCURRENCY) {
      for (const variant of ['dedupe-in-transaction', 'check-then-act'] as const) {
        const schema = await store.createCaseSchema(`bench-${variant}-${concurrency}`);
        const ledger = await PostgresLedger.create(schema);
        let next = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < EFFECTS) {
              const txn = `m${next++}`;
              if (variant === 'dedupe-in-transaction')
                await ledger.creditOnce('default', txn, async () => false);
              else if (!(await ledger.isProcessed('default', txn))) {
                await ledger.credit('default', txn);
                await ledger.markProcessed('default', txn);
              }
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        console.log(
          `ledger ${variant.padEnd(22)} concurrency ${String(concurrency).padStart(2)}: ${Math.round(EFFECTS / seconds)} effects/s`,
        );
        await schema.close();
        await store.dropCaseSchema(schema.name);
      }
    }
  } finally {
    await store.close();
  }
}

const workload = (messages: number) => plainWorkload(messages, { producers: 2, consumersPerGroup: 4 });

async function caseRate(store: StoreChoice): Promise<void> {
  const driver = new MemoryDriver({});
  const setup = driver.setups.find((s) => s.name === 'queue')!;
  const plan: CasePlan = {
    id: `bench-store-${store.kind}`,
    driver: 'memory',
    setup,
    scenario: idempotentConsumer,
    variant: 'dedupe-in-transaction',
    store: store.kind,
    claim: idempotentConsumer.claim(setup, 'dedupe-in-transaction'),
    workload: workload(EFFECTS),
    faults: [],
    seed: 1,
    path: '0',
  };
  const started = performance.now();
  const result = await runCase(plan, driver, {
    outDir: mkdtempSync(join(tmpdir(), 'bp-bench-store-')),
    store,
  });
  const seconds = (performance.now() - started) / 1000;
  await driver.close();
  console.log(
    `case on the memory broker, ledger in ${store.kind.padEnd(8)}: ${EFFECTS} effects in ${seconds.toFixed(1)} s (${Math.round(EFFECTS / seconds)} effects/s, whole case), verdict ${result.valid}`,
  );
}

const { failures } = await brokersUp({ only: ['postgres'] });
if (failures.length > 0) {
  console.error(`PostgreSQL did not come up: ${failures.map((f) => f.message).join('; ')}`);
  process.exit(2);
}
const url = endpointsFor('postgres').connectionString;
console.log(`${EFFECTS} effects per measurement, PostgreSQL through its Toxiproxy proxy`);
await ledgerRates(url);
await caseRate({ kind: 'memory' });
await caseRate({ kind: 'postgres', url });
