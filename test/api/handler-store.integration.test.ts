import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../api/run.ts';
import { ConfigError } from '../../core/errors.ts';
import { defineConfig } from '../../index.ts';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const quiet = { log: () => {} };
const tempDir = () => mkdtempSync(join(tmpdir(), 'bp-handler-store-'));

/** A handler that credits orders in the case's PostgreSQL schema, its effects read back by the team's query. */
const withStore = (handler: string, claim?: 'at-least-once', driver = 'memory') =>
  defineConfig({
    driver,
    handler: fixture(handler),
    handlerStore: {
      schema: fixture('credits-schema.sql'),
      effects: 'SELECT message_id AS id, count(*)::int AS effects FROM credits GROUP BY message_id',
      ...(claim && { claim }),
    },
    store: 'postgres',
    scenarios: ['work-queue'],
    // Crash points rotate case by case: the second case's first crash is after-effect.
    runs: 2,
    messages: 60,
    seed: 5,
    shrinkTime: 0,
  });

describe('your handler with a store (PostgreSQL): effects judged from what the store holds', () => {
  it('a handler that credits and marks in one transaction holds effectively-once through crashes inside it', async () => {
    const outcome = await run(withStore('credit-once-handler.ts'), { cwd: tempDir(), ...quiet });
    expect(outcome.exitCode, outcome.result.cases.map((c) => c.reasons.join('; ')).join(' | ')).toBe(0);
    for (const c of outcome.result.cases) {
      expect(c.guarantee.delivery).toBe('effectively-once');
      expect(c.handlerStore?.effects).toMatch(/FROM credits/);
      expect(c.counts.effectDuplicated + c.counts.effectMissing).toBe(0);
      expect(c.reasons).toEqual([]);
    }
    const points = outcome.result.cases.flatMap((c) => c.crashes.map((k) => k.point));
    expect(points).toContain('after-effect');
    // The crashes made the broker redeliver: the dedupe in the transaction is what held.
    expect(outcome.result.cases.some((c) => c.counts.redelivered > 0)).toBe(true);
  }, 120_000);

  it('a handler that checks, credits and marks in separate statements is caught crediting twice', async () => {
    const outcome = await run(withStore('check-then-credit-handler.ts'), { cwd: tempDir(), ...quiet });
    expect(outcome.exitCode).toBe(1);
    const caught = outcome.result.cases.find((c) => c.valid === false)!;
    expect(caught.violations).toContain('effectDuplicated');
    expect(caught.crashes.map((k) => k.point)).toContain('after-effect');
    expect(caught.anomalies.find((a) => a.kind === 'effectDuplicated')?.detail).toMatch(/store holds 2/);
  }, 120_000);

  it('the same handler holds when it claims at-least-once effects', async () => {
    const outcome = await run(withStore('check-then-credit-handler.ts', 'at-least-once'), {
      cwd: tempDir(),
      ...quiet,
    });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.result.cases.some((c) => c.counts.effectDuplicated > 0)).toBe(true);
  }, 120_000);

  it('runs in consumer worker processes on RabbitMQ: crashes are SIGKILLs inside the handler, caught or held as on the memory broker', async () => {
    const held = await run(withStore('credit-once-handler.ts', undefined, 'rabbitmq'), {
      cwd: tempDir(),
      ...quiet,
    });
    expect(held.exitCode, held.result.cases.map((c) => c.reasons.join('; ')).join(' | ')).toBe(0);
    expect(held.result.cases.flatMap((c) => c.crashes.map((k) => k.point))).toContain('after-effect');
    const caught = await run(withStore('check-then-credit-handler.ts', undefined, 'rabbitmq'), {
      cwd: tempDir(),
      ...quiet,
    });
    expect(caught.exitCode).toBe(1);
    expect(caught.result.cases.some((c) => c.counts.effectDuplicated > 0)).toBe(true);
  }, 180_000);

  it.each([
    [{ handlerStore: { effects: 'SELECT 1' } }, /`handlerStore` is set but `handler` is not/],
    [
      { handler: fixture('credit-once-handler.ts'), handlerStore: { effects: 'SELECT 1' }, store: 'memory' },
      /needs the PostgreSQL store, not memory/,
    ],
    [
      {
        handler: fixture('credit-once-handler.ts'),
        handlerStore: { effects: 'SELECT 1', schema: './no-such.sql' },
        store: 'postgres',
      },
      /schema .*no-such\.sql does not exist/,
    ],
  ] as const)('refuses a bad handler store before anything starts: %j', async (config, message) => {
    await expect(run(config as never, { cwd: tempDir(), ...quiet })).rejects.toThrow(ConfigError);
    await expect(run(config as never, { cwd: tempDir(), ...quiet })).rejects.toThrow(message);
  });
});
