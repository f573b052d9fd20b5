import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/chaos.ts', import.meta.url));

/** `npm run chaos` with bad arguments, in a fresh directory: it must stop before running any case. */
function chaos(...args: string[]) {
  const cwd = mkdtempSync(join(tmpdir(), 'bp-chaos-args-'));
  try {
    const run = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), script, ...args], {
      cwd,
      encoding: 'utf8',
    });
    return {
      ...run,
      wroteReport: existsSync(join(cwd, 'chaos-report')) || existsSync(join(cwd, 'soak-report')),
    };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

describe('scripts/chaos.ts refuses bad arguments before any case runs', () => {
  it.each([
    [['kafka', 'nosuch'], 'no chaos target for "nosuch"'],
    [['--runs', 'x', 'nats'], '--runs must be a whole number ≥ 1 (got "x")'],
    [['--runs', '0'], '--runs must be a whole number ≥ 1 (got "0")'],
    [['--seed', '1.5'], '--seed must be a whole number ≥ 0 (got "1.5")'],
    [['--soak', '0'], '--soak must be a number of minutes above 0 (got "0")'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('%j: exit 2, says why and lists the brokers', (args, why) => {
    const run = chaos(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(why);
    expect(run.stderr).toContain('brokers: rabbitmq, kafka, nats, sqs, pubsub');
    expect(run.wroteReport).toBe(false);
    expect(run.stdout).toBe('');
  });
});
