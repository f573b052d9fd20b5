/**
 * The drain asks the broker's backlog only when the answer could end it: counting a queue costs
 * some brokers as much as serving it (ElasticMQ walks every message on the queue's actor), so a
 * drain that asked on every turn slowed the consumers it was waiting for.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep } from '../../core/clock.ts';
import type { Driver } from '../../drivers/driver.ts';
import type { CasePlan } from '../../runner/case.ts';
import { type CaseState, drainPhase } from '../../runner/case-phases.ts';
import { runCase } from '../../runner/run-case.ts';
import { findScenario } from '../../scenarios/catalogue.ts';
import { memoryWith } from '../helpers/memory-with.ts';
import { fixedWorkload } from '../helpers/workloads.ts';

/** The memory broker, counting how often the runner asks for its backlog. */
function countingDriver(): { driver: Driver; asks: () => number } {
  let asks = 0;
  const driver = memoryWith((topology) => ({
    backlog: async () => {
      asks++;
      return topology.backlog!();
    },
  }));
  return { driver, asks: () => asks };
}

describe('the drain and the broker backlog', () => {
  it('does not ask while the consumer works through a backlog, and ends on the first 0', async () => {
    const { driver, asks } = countingDriver();
    // One consumer, up to 25 ms a message: the sends are over in moments, the processing is not.
    const workload = fixedWorkload({ messages: 300, consumersPerGroup: 1, maxProcessingMs: 25, seed: 5 });
    const plan: CasePlan = {
      id: `drain-backlog-${Math.random().toString(36).slice(2)}`,
      driver: driver.name,
      setup: driver.setups.find((s) => s.name === 'queue')!,
      scenario: findScenario('work-queue')!,
      claim: { delivery: 'at-least-once', ordering: 'none' },
      workload,
      faults: [],
      seed: 5,
      path: '0',
    };
    const result = await runCase(plan, driver, {
      outDir: mkdtempSync(join(tmpdir(), 'bp-drain-backlog-')),
      isolation: 'inline',
      timeouts: { drainMs: 30_000 },
    });
    const at = (name: string) => result.phases.find((p) => p.phase === name)!.t / 1000;
    const drainMs = at('check') - at('drain');
    expect(result.valid).toBe(true);
    expect(result.counts.processed).toBe(300);
    expect(result.phases.some((p) => p.cutOff)).toBe(false);
    // The drain had work for a while: asked on every 10 ms turn, that would be dozens of questions.
    expect(drainMs).toBeGreaterThan(500);
    expect(asks()).toBeGreaterThan(0);
    expect(asks()).toBeLessThanOrEqual(5);
  }, 30_000);

  it('asks again once the consumers are quiet, however slow the answers were while they worked', async () => {
    // A consumer with something to do every 50 ms for 1.2 s, idle in between; while it works, the
    // broker takes 300 ms to count (5 left), so the pace allows the next question only 3 s later.
    // The drain's grace after the last activity is 1 s: waiting for the pace would cut it off.
    const started = Date.now();
    const activeMs = 1200;
    const consumer = {
      idle: true,
      get lastActivity() {
        return started + Math.floor(Math.min(Date.now() - started, activeMs) / 50) * 50;
      },
    };
    let asks = 0;
    const state = {
      timeouts: { drainMs: 2000, quietMs: 200 },
      signal: new AbortController().signal,
      topology: {
        backlog: async () => {
          asks++;
          if (Date.now() - started >= activeMs) return 0;
          await sleep(300);
          return 5;
        },
      },
      driver: { capabilities: { drainSettleMs: 20 } },
      consumers: [consumer],
      readers: [],
      plan: { workload: fixedWorkload({ messages: 100, maxProcessingMs: 0 }) },
    } as unknown as CaseState;
    const cutOff = await drainPhase(state);
    expect(cutOff).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(asks).toBeGreaterThanOrEqual(2);
  });
});
