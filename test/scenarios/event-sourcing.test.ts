import { describe, expect, it } from 'vitest';
import { readHistory } from '../../core/history-reader.ts';
import { MemoryDriver } from '../../drivers/memory/memory-driver.ts';
import { runCase } from '../../runner/run-case.ts';
import { eventSourcing } from '../../scenarios/event-sourcing/index.ts';
import { fixedWorkload, scenarioPlan, tempDir } from './case-plans.ts';

/** Three writers on four users, consumers of the projection crashing at each point. */
const workload = fixedWorkload({
  messages: 120,
  producers: 3,
  keys: 4,
  crashes: eventSourcing.crashPoints.map((point, k) => ({ group: 0, atDelivery: 5 + 8 * k, point })),
});

async function caseWith(anomalies?: Record<string, number>, variant = 'relay') {
  // The broker log's anomalies are the broker's; the store's are the store's.
  const driver = new MemoryDriver(variant === 'broker-log' ? { anomalies } : {});
  const plan = scenarioPlan(driver, 'queue', eventSourcing, variant, workload);
  const outDir = tempDir('brokerproof-es-');
  const result = await runCase(plan, driver, { outDir, store: { kind: 'memory', anomalies } });
  await driver.close();
  return { result, history: await readHistory(`${outDir}/${result.history}`) };
}

describe('event-sourcing on the memory broker and event store', () => {
  it('holds optimistic concurrency and an idempotent-by-version projection through consumer crashes', async () => {
    const { result, history } = await caseWith();
    expect(result.guarantee).toMatchObject({
      concurrency: 'optimistic',
      projection: 'idempotent-by-version',
    });
    expect(result.reasons).toEqual([]);
    expect(result.valid).toBe(true);
    const appends = history.events.filter((e) => e.f === 'append');
    // Writers raced for the same versions: some appends lost and were retried.
    expect(appends.some((e) => e.type === 'fail' && e.error === 'conflict')).toBe(true);
    expect(appends.filter((e) => e.type === 'ok')).toHaveLength(120);
    // The store was replayed and the read model read back, stream by stream.
    const states = history.events.filter((e) => e.f === 'state' && e.stream !== undefined);
    expect(states.filter((e) => e.group === 'replay')).toHaveLength(4);
    expect(states.filter((e) => e.group === 'default')).toHaveLength(4);
  }, 60_000);

  it('a store that ignores the expected version is caught (expectationIgnored)', async () => {
    const { result } = await caseWith({ ignoreExpectedVersion: 1 });
    expect(result.valid).toBe(false);
    expect(result.counts.expectationIgnored).toBeGreaterThan(0);
  }, 60_000);

  it('a store that accepts two writers at one version is caught (forked)', async () => {
    const { result } = await caseWith({ forkOnConcurrentAppend: 1 });
    expect(result.valid).toBe(false);
    expect(result.counts.forked).toBeGreaterThan(0);
  }, 60_000);
});

describe('event-sourcing with the broker as the event store (memory broker, per-key journal)', () => {
  it('appends expecting the position read: conflicts are refused, and the projection holds', async () => {
    const { result, history } = await caseWith(undefined, 'broker-log');
    expect(result.guarantee).toMatchObject({ concurrency: 'optimistic' });
    expect(result.reasons).toEqual([]);
    expect(result.valid).toBe(true);
    const appends = history.events.filter((e) => e.f === 'append');
    expect(appends.some((e) => e.type === 'fail' && e.error === 'conflict')).toBe(true);
    expect(appends.filter((e) => e.type === 'ok')).toHaveLength(120);
    // No relay: every append is a send of the producer's own, recorded beside it.
    expect(history.events.some((e) => e.f === 'send' && e.p.startsWith('relay-'))).toBe(false);
    expect(history.events.filter((e) => e.f === 'send' && e.type === 'ok')).toHaveLength(120);
    const replayed = history.events.filter((e) => e.f === 'state' && e.group === 'replay' && e.stream);
    expect(replayed).toHaveLength(4);
  }, 60_000);

  it('a broker that takes a stale position is caught (forked or expectationIgnored)', async () => {
    const { result } = await caseWith({ ignoreExpectedVersion: 1 }, 'broker-log');
    expect(result.valid).toBe(false);
    expect((result.counts.forked ?? 0) + (result.counts.expectationIgnored ?? 0)).toBeGreaterThan(0);
  }, 60_000);
});

describe('event-sourcing on a single-writer broker log (memory broker, claim single-writer)', () => {
  it('gives each stream one writer that keeps its versions: no conflicts, no forks, the projection holds', async () => {
    const driver = new MemoryDriver({});
    const plan = scenarioPlan(driver, 'queue', eventSourcing, 'broker-log', workload);
    plan.claim = { ...plan.claim, concurrency: 'single-writer' };
    const outDir = tempDir('brokerproof-es-single-');
    const result = await runCase(plan, driver, { outDir, store: { kind: 'memory' } });
    await driver.close();
    const history = await readHistory(`${outDir}/${result.history}`);
    expect(result.guarantee).toMatchObject({ concurrency: 'single-writer' });
    const decisive = result.anomalies.filter((a) => result.violations.includes(a.kind)).slice(0, 3);
    expect({ valid: result.valid, reasons: result.reasons, decisive }).toEqual({
      valid: true,
      reasons: [],
      decisive: [],
    });
    const appends = history.events.filter((e) => e.f === 'append');
    expect(appends.filter((e) => e.type === 'fail' || e.type === 'info')).toEqual([]);
    expect(appends.filter((e) => e.type === 'ok')).toHaveLength(120);
    // One writer a stream, appending version after version.
    const writers = new Map<string, Set<string>>();
    for (const e of appends) writers.set(e.stream, (writers.get(e.stream) ?? new Set()).add(e.p));
    expect([...writers.values()].every((w) => w.size === 1)).toBe(true);
    expect(writers.size).toBe(4);
    const versions = appends.filter((e) => e.type === 'ok' && e.stream === 'user-0').map((e) => e.version);
    expect(versions).toEqual(versions.map((_, k) => k + 1));
  }, 60_000);
});
