/** The `brokers` command's contract without brokers: usage errors, exit codes, one JSON document. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerBrokersCommand } from '../../cli/commands/brokers.ts';

const state = mkdtempSync(join(tmpdir(), 'brokerproof-cli-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));

async function brokers(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let code = -1;
  const program = new Command('brokerproof').exitOverride();
  const io = {
    exit: (c: number) => (code = c),
    out: (s: string) => (stdout += s),
    err: (s: string) => (stderr += s),
  };
  registerBrokersCommand(program, io);
  // isolated, and on ports nothing listens on
  const overrides: Record<string, string> = {
    BROKERPROOF_STATE_DIR: state,
    BROKERPROOF_TOXIPROXY_PORT: '1',
    BROKERPROOF_KAFKA_UPSTREAM_PORT: '2',
  };
  const saved = Object.fromEntries(Object.keys(overrides).map((k) => [k, process.env[k]]));
  Object.assign(process.env, overrides);
  try {
    await program.parseAsync(['brokers', ...args], { from: 'user' });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return { code, stdout, stderr };
}

describe('brokerproof brokers', () => {
  it('status --json prints exactly one JSON document with the documented shape', async () => {
    const run = await brokers('status', '--json', '--only', 'kafka,nats');
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(Object.keys(doc)).toEqual(['brokers', 'toxiproxy']);
    expect(Object.keys(doc.brokers)).toEqual(['kafka', 'nats']);
    expect(doc.brokers.kafka).toMatchObject({
      up: false,
      endpoint: '127.0.0.1:9092',
      proxied: false,
      version: null,
      pid: null,
    });
    expect(doc.toxiproxy).toMatchObject({ up: false, endpoint: 'http://127.0.0.1:1', proxies: [] });
  });

  it('status without --json prints a table on stdout', async () => {
    const run = await brokers('status');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^broker\s+state\s+clients use/);
    expect(run.stdout).toMatch(/^kafka\s+down\s+127\.0\.0\.1:9092/m);
  });

  it('an unknown broker is a usage error: exit 2, a clear message, no stack trace', async () => {
    const run = await brokers('up', '--only', 'kafka,redis');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown broker: redis/);
    expect(run.stderr).toMatch(/Choose from kafka, rabbitmq, nats, elasticmq, moto, pubsub/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('with --json an error is still one JSON document on stdout', async () => {
    const run = await brokers('status', '--json', '--only', 'nope');
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { message: 'unknown broker: nope', hint: expect.any(String) },
    });
  });

  it('down with nothing running succeeds', async () => {
    const run = await brokers('down', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ stopped: [], strays: [] });
  });
});
