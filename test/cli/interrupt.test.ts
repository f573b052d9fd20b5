import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHistory } from '../../core/history-reader.ts';
import { cliProcess } from '../helpers/cli.ts';

describe('Ctrl-C during a run', () => {
  it('stops the case, keeps its history on disk, writes the reports and exits 2', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'bp-int-'));
    let pid = 0;
    const running = cliProcess(
      ['run', '--scenario', 'work-queue', '--messages', '200000', '--runs', '2', '--seed', '1'],
      {
        cwd,
        onSpawn: (p) => (pid = p),
      },
    );
    const history = join(cwd, 'brokerproof-report', 'histories', 'memory.queue.work-queue.0.ndjson');
    const deadline = Date.now() + 30_000;
    while (!(existsSync(history) && readFileSync(history, 'utf8').length > 20_000) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    process.kill(pid, 'SIGINT');
    const interruptedAt = Date.now();
    const r = await running;
    // Heals, tears down, writes the reports and exits within 10 s of Ctrl-C.
    expect(Date.now() - interruptedAt).toBeLessThan(10_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SIGINT received/);
    const results = JSON.parse(readFileSync(join(cwd, 'brokerproof-report', 'results.json'), 'utf8'));
    expect(results.interrupted).toBe(true);
    expect(results.cases).toHaveLength(1);
    expect(results.cases[0].valid).toBe('unknown');
    const read = await readHistory(history);
    expect(read.events.length).toBeGreaterThan(100);
    expect(read.events.at(-1)).toMatchObject({ f: 'phase', phase: 'teardown' });
    // The reports of what finished are there too.
    for (const file of ['index.html', 'summary.md', 'junit.xml'])
      expect(existsSync(join(cwd, 'brokerproof-report', file))).toBe(true);
  }, 60_000);

  it('exits within 10 s of SIGTERM while a case drains, with results.json marked interrupted', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'bp-int-'));
    let pid = 0;
    // Long drain deadlines: the signal lands while the first case is in its drain phase.
    const config = join(cwd, 'brokerproof.config.json');
    writeFileSync(config, JSON.stringify({ timeouts: { drainMs: 60_000, quietMs: 30_000 } }));
    const running = cliProcess(
      [
        'run',
        '--scenario',
        'work-queue',
        '--messages',
        '50',
        '--runs',
        '2',
        '--seed',
        '1',
        '--config',
        config,
      ],
      { cwd, onSpawn: (p) => (pid = p) },
    );
    const history = join(cwd, 'brokerproof-report', 'histories', 'memory.queue.work-queue.0.ndjson');
    const deadline = Date.now() + 30_000;
    while (
      !(existsSync(history) && readFileSync(history, 'utf8').includes('"phase":"drain"')) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 20));
    process.kill(pid, 'SIGTERM');
    const interruptedAt = Date.now();
    const r = await running;
    expect(Date.now() - interruptedAt).toBeLessThan(10_000);
    expect(r.code).toBe(2);
    const results = JSON.parse(readFileSync(join(cwd, 'brokerproof-report', 'results.json'), 'utf8'));
    expect(results.interrupted).toBe(true);
    expect(results.cases[0].reasons).toContain('the run was interrupted');
  }, 60_000);
});
