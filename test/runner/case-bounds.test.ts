import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHistory } from '../../core/history-reader.ts';
import type { Driver, Producer } from '../../drivers/driver.ts';
import { MemoryDriver } from '../../drivers/memory/memory-driver.ts';
import type { CasePlan } from '../../runner/case.ts';
import { runCase } from '../../runner/run-case.ts';
import { findScenario } from '../../scenarios/catalogue.ts';
import type { Workload } from '../../scenarios/scenario.ts';
import { memoryWith } from '../helpers/memory-with.ts';
import { fixedWorkload } from '../helpers/workloads.ts';

const workload = (over: Partial<Workload> = {}): Workload =>
  fixedWorkload({ messages: 50, maxProcessingMs: 0, seed: 1, ...over });

function plan(driver: Driver, w: Workload, faults: string[] = []): CasePlan {
  const setup = driver.setups.find((s) => s.name === 'queue')!;
  return {
    id: `bounds-${Math.random().toString(36).slice(2)}`,
    driver: driver.name,
    setup,
    scenario: findScenario('work-queue')!,
    claim: { delivery: 'at-least-once', ordering: 'none' },
    workload: w,
    faults,
    seed: 1,
    path: '0',
  };
}

/**
 * The memory broker whose producers stop answering after `answered` sends — the way a producer
 * waits on a leaderless quorum queue. Only the runner's deadlines are under test here.
 */
function stallingDriver(answered: number): Driver {
  let sends = 0;
  const stall = (producer: Producer): Producer => ({
    send: (m) => (++sends > answered ? new Promise(() => {}) : producer.send(m)),
    close: () => producer.close(),
  });
  return memoryWith((topology) => ({
    producer: async (name: string) => stall(await topology.producer(name)),
  }));
}

const outDir = () => mkdtempSync(join(tmpdir(), 'bp-bounds-'));

describe('bounded cases', () => {
  it('ends a case whose sends never answer at the load deadline, unknown with the reason', async () => {
    const driver = stallingDriver(10);
    const started = Date.now();
    const result = await runCase(plan(driver, workload()), driver, {
      outDir: outDir(),
      isolation: 'inline',
      timeouts: { loadMs: 500, drainMs: 500 },
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.valid).toBe('unknown');
    expect(result.reasons.join(' ')).toMatch(/load phase passed its deadline .*not yet sent or answered/);
  }, 30_000);

  it('records a planned crash no consumer reached as cancelled, and then cannot say "holds"', async () => {
    const driver = new MemoryDriver({});
    const dir = outDir();
    const result = await runCase(
      plan(driver, workload({ crashes: [{ group: 0, atDelivery: 10_000, point: 'before-process' }] }), [
        'consumer-crash',
      ]),
      driver,
      { outDir: dir, isolation: 'inline' },
    );
    expect(result.counts.lost).toBe(0);
    expect(result.valid).toBe('unknown');
    expect(result.reasons.join(' ')).toMatch(/never fired/);
    expect(result.coverage?.crashes).toEqual([
      { point: 'before-process', fired: 0, cancelled: 1, redeliveries: 0 },
    ]);
    const { events } = await readHistory(join(dir, result.history));
    expect(events.find((e) => e.f === 'crash')).toMatchObject({ type: 'fail', reason: 'cancelled' });
  });

  it('a crash the first consumer to get there takes fires once, whichever consumer it is', async () => {
    const driver = new MemoryDriver({});
    const result = await runCase(
      plan(
        driver,
        workload({ consumersPerGroup: 4, crashes: [{ group: 0, atDelivery: 3, point: 'after-ack' }] }),
        ['consumer-crash'],
      ),
      driver,
      { outDir: outDir(), isolation: 'inline' },
    );
    expect(result.valid).toBe(true);
    expect(result.crashes).toHaveLength(1);
    expect(result.crashes[0]!.point).toBe('after-ack');
  });

  it('stops within 10 s of an interrupt during the load, healing and tearing down', async () => {
    const driver = stallingDriver(5);
    const controller = new AbortController();
    const dir = outDir();
    setTimeout(() => controller.abort(new Error('interrupted by SIGINT')), 300);
    const started = Date.now();
    const result = await runCase(plan(driver, workload()), driver, {
      outDir: dir,
      isolation: 'inline',
      signal: controller.signal,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.valid).toBe('unknown');
    expect(result.reasons).toContain('the run was interrupted');
    const { events } = await readHistory(join(dir, result.history));
    expect(events.at(-1)).toMatchObject({ f: 'phase', phase: 'teardown' });
  }, 20_000);

  it('a drain whose consumers keep making progress goes on past drainMs (up to 3×), and ends holding', async () => {
    const driver = new MemoryDriver({});
    const w = workload({ messages: 120, consumersPerGroup: 1, maxProcessingMs: 100 });
    const result = await runCase(plan(driver, w), driver, {
      outDir: outDir(),
      isolation: 'inline',
      timeouts: { drainMs: 1_000 },
    });
    const at = (name: string) => result.phases.find((p) => p.phase === name)!.t / 1e6;
    expect(at('check') - at('drain')).toBeGreaterThan(1);
    expect(result.phases.some((p) => p.cutOff)).toBe(false);
    expect(result.valid).toBe(true);
  }, 30_000);

  it('a drain whose consumers make no progress is cut off at drainMs, unknown', async () => {
    const driver = new MemoryDriver({});
    const w = workload({ messages: 20, consumersPerGroup: 1, maxProcessingMs: 20_000 });
    const started = Date.now();
    const result = await runCase(plan(driver, w), driver, {
      outDir: outDir(),
      isolation: 'inline',
      timeouts: { drainMs: 1_000, teardownMs: 1_000 },
    });
    expect(result.phases.some((p) => p.cutOff)).toBe(true);
    expect(result.valid).toBe('unknown');
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);
});
