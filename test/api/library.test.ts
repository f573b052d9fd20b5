import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planCases, run } from '../../api/run.ts';
import { ConfigError, UsageError } from '../../core/errors.ts';
import { defineConfig, defineSetup } from '../../index.ts';
import { verdictMessage } from '../../vitest.ts';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const quiet = { log: () => {} };
const tempDir = () => mkdtempSync(join(tmpdir(), 'bp-api-'));

const ordersQueue = defineSetup({
  name: 'orders-queue',
  extends: 'memory/queue-dlq',
  options: { prefetch: 8, deliveryLimit: 4 },
});

afterEach(() => {
  delete process.env.BP_HANDLER_LOG;
});

describe('library API with your handler', () => {
  it('runs the handler for every delivery: processed messages are the ones it handled, poison ones dead-lettered', async () => {
    const dir = tempDir();
    const log = join(dir, 'handled.log');
    process.env.BP_HANDLER_LOG = log;
    const outcome = await run(
      defineConfig({
        setups: [ordersQueue],
        handler: fixture('recording-handler.ts'),
        scenarios: ['retry-dlq'],
        runs: 1,
        messages: 80,
        seed: 9,
      }),
      { cwd: dir, ...quiet },
    );
    expect(outcome.exitCode).toBe(0);
    expect(outcome.result.cases).toHaveLength(1);
    const handled = new Set(
      readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' ')[1]),
    );
    for (const c of outcome.result.cases) {
      expect(c.handler).toBe(fixture('recording-handler.ts'));
      expect(c.valid).toBe(true);
      expect(c.crashes.length).toBeGreaterThan(0);
    }
    const dlq = outcome.result.cases.find((c) => c.scenario === 'retry-dlq')!;
    expect(dlq.workload.poison.length).toBeGreaterThan(0);
    // Poison messages made the handler throw: never handled, each dead-lettered after 4 deliveries.
    for (const p of dlq.workload.poison) expect(handled.has(`m${p}`)).toBe(false);
    expect(dlq.counts.dlqMissing + dlq.counts.dlqEarly + dlq.counts.dlqLate).toBe(0);
    // Every message the history says was processed went through the handler.
    expect(dlq.counts.processed).toBe(80 - dlq.workload.poison.length);
    expect(handled.size).toBe(dlq.counts.processed);
  });

  it('catches a handler that acks before processing: lost, with the anomaly and the report in the message', async () => {
    const dir = tempDir();
    const outcome = await run(
      {
        setups: [ordersQueue],
        handler: fixture('ack-first-handler.ts'),
        scenarios: ['work-queue'],
        runs: 3,
        messages: 100,
        seed: 4,
      },
      { cwd: dir, flags: { shrinkTime: 0 }, ...quiet },
    );
    expect(outcome.exitCode).toBe(1);
    const violated = outcome.result.cases.filter((c) => c.valid === false);
    expect(violated.length).toBeGreaterThan(0);
    const message = verdictMessage(violated[0]!, outcome.outDir);
    expect(message).toMatch(/VIOLATED — orders-queue claims at-least-once/);
    expect(message).toMatch(/\n {2}lost: \d+ \(m\d+/);
    expect(message).toContain(join(outcome.outDir, 'index.html'));
    expect(existsSync(join(outcome.outDir, violated[0]!.history))).toBe(true);
  });

  it('plans the case ids a run produces, without running anything', async () => {
    const dir = tempDir();
    const config = { setups: [ordersQueue], scenarios: ['work-queue'], runs: 2, messages: 30, seed: 1 };
    const planned = await planCases(config, { cwd: dir, ...quiet });
    expect(planned.ids).toEqual(['memory.orders-queue.work-queue.0', 'memory.orders-queue.work-queue.1']);
    expect(existsSync(planned.outDir)).toBe(false);
    const outcome = await planned.run();
    expect(outcome.result.cases.map((c) => c.id)).toEqual(planned.ids);
    expect(await planned.run()).toBe(outcome);
  });

  it.each([
    [{ handler: './no-such-handler.ts' }, ConfigError, /handler module .*no-such-handler\.ts does not exist/],
    [
      { handler: fixture('not-a-handler.ts') },
      ConfigError,
      /handler module .*not-a-handler\.ts exports no function/,
    ],
    [
      { handler: fixture('recording-handler.ts'), scenarios: ['idempotent-consumer'] },
      UsageError,
      /scenario idempotent-consumer cannot run your handler/,
    ],
  ])('refuses %j before anything starts (exit code 2)', async (config, type, message) => {
    const dir = tempDir();
    const running = run({ ...config, runs: 1, messages: 10 }, { cwd: dir, ...quiet });
    await expect(running).rejects.toThrow(type);
    await expect(run({ ...config, runs: 1 }, { cwd: dir, ...quiet })).rejects.toThrow(message);
    expect(existsSync(join(dir, 'brokerproof-report', 'results.json'))).toBe(false);
  });
});
