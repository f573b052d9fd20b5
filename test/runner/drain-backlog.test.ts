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
import { type DrainReport, DrainTrail } from '../../runner/drain-report.ts';
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
    // The case says how its drain ended, and what the broker answered last.
    const drain = result.diagnostics.drain as DrainReport;
    expect(drain.ended).toBe('backlog-empty');
    expect(drain.questions).toBe(asks());
    expect(drain.answers.at(-1)?.value).toBe(0);
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
    const drain = await drainPhase(state);
    expect(drain.ended).toBe('backlog-empty');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(asks).toBeGreaterThanOrEqual(2);
    // The slow answer of 5 while the consumer worked, then the 0 that ended the drain.
    expect(drain.answers[0]).toMatchObject({ value: 5 });
    expect(drain.answers[0]!.tookMs).toBeGreaterThanOrEqual(290);
    expect(drain.answers.at(-1)).toMatchObject({ value: 0 });
    expect(drain.questions).toBe(asks);
  });

  describe('says how it ended', () => {
    /** A drain over one consumer that went quiet when it started, and a broker that says `backlog`. */
    function quietState(options: {
      backlog?: () => Promise<number | undefined>;
      settled?: boolean;
      signal?: AbortSignal;
    }): CaseState {
      const started = Date.now();
      return {
        timeouts: { drainMs: 300, quietMs: 100 },
        signal: options.signal ?? new AbortController().signal,
        topology: options.backlog ? { backlog: options.backlog } : {},
        driver: { capabilities: { drainSettleMs: 20 } },
        consumers: [{ idle: true, lastActivity: started }],
        readers: [],
        plan: { workload: fixedWorkload({ messages: 10, maxProcessingMs: 0 }) },
        ...(options.settled !== undefined && {
          settlement: { settled: () => options.settled, shortens: true },
        }),
      } as unknown as CaseState;
    }

    it('cut off: the broker kept saying there was work, and the answers show it', async () => {
      const drain = await drainPhase(quietState({ backlog: async () => 5 }));
      expect(drain.ended).toBe('deadline');
      expect(drain.ms).toBeGreaterThanOrEqual(300);
      expect(drain.answers.length).toBeGreaterThan(0);
      expect(drain.answers.every((a) => a.value === 5)).toBe(true);
    });

    it('quiet: a broker that cannot count, nothing arriving', async () => {
      const drain = await drainPhase(quietState({ backlog: async () => undefined }));
      expect(drain.ended).toBe('quiet');
      expect(drain.answers.at(-1)?.value).toBeNull();
    });

    it('settled: the history says every message is settled', async () => {
      const drain = await drainPhase(quietState({ backlog: async () => 5, settled: true }));
      expect(drain.ended).toBe('settled');
    });

    it('unsettled: a message still missing at the deadline, the consumers quiet', async () => {
      const drain = await drainPhase(quietState({ backlog: async () => 0, settled: false }));
      expect(drain.ended).toBe('unsettled');
    });

    it('interrupted: the case was stopped', async () => {
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 50);
      const drain = await drainPhase(quietState({ backlog: async () => 5, signal: stop.signal }));
      expect(drain.ended).toBe('interrupted');
      expect(drain.ms).toBeLessThan(300);
    });
  });

  it('keeps the first answer and the last ones, however many were asked', async () => {
    let t = 0;
    const trail = new DrainTrail(() => t);
    for (let k = 0; k < 20; k++) {
      t += 10;
      await trail.ask(async () => {
        t += 2;
        return 20 - k;
      });
    }
    const report = trail.report('backlog-empty');
    expect(report.questions).toBe(20);
    expect(report.answers).toHaveLength(DrainTrail.KEPT);
    expect(report.answers[0]).toEqual({ atMs: 10, value: 20, tookMs: 2 });
    expect(report.answers.slice(1).map((a) => a.value)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(report.ms).toBe(240);
  });
});
