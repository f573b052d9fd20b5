import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../../runner/case.ts';
import { SOAK_FAULT_EVERY_MS, soakWorkload } from '../../runner/soak.ts';
import { DEFAULT_SHAPE, workloadArbitrary } from '../../scenarios/kit/arbitraries.ts';
import { cli } from '../helpers/cli.ts';

describe('soak cases', () => {
  it('load for the whole soak, with faults drawn throughout it', () => {
    const soak = soakWorkload(5);
    expect(soak.messages).toBe(15_000);
    const workloads = fc.sample(
      workloadArbitrary(DEFAULT_SHAPE, { faults: new Set(['partition', 'broker-kill']), ...soak.workload }),
      { numRuns: 20, seed: 3 },
    );
    for (const w of workloads) {
      expect(w.loadMs).toBeGreaterThanOrEqual(300_000);
      expect(w.faults.length).toBeGreaterThanOrEqual(300_000 / SOAK_FAULT_EVERY_MS / 2);
      // Not bunched at the start: some fault starts in the last third of the load.
      expect(Math.max(...w.faults.map((f) => f.atMs))).toBeGreaterThan(200_000);
    }
    // Without the soak, a case plans at most three.
    const short = fc.sample(workloadArbitrary(DEFAULT_SHAPE, { faults: new Set(['partition']) }), {
      numRuns: 20,
      seed: 3,
    });
    expect(Math.max(...short.map((w) => w.faults.length))).toBeLessThanOrEqual(3);
  });

  it('pace the load even when only consumers crash', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bp-soak-'));
    const r = await cli(
      ...['run', '--scenario', 'work-queue', '--soak', '0.1', '--messages', '200', '--runs', '1'],
      ...['--seed', '4', '--out', out, '--no-progress'],
    );
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
      cases: CaseResult[];
      settings: { soakMinutes?: number };
    };
    expect(results.settings.soakMinutes).toBe(0.1);
    const [c] = results.cases;
    expect(c!.workload.loadMs).toBe(6_000);
    const phase = (name: string) => c!.phases.find((p) => p.phase === name)!.t;
    expect(phase('heal') - phase('load')).toBeGreaterThanOrEqual(5_500_000);
  }, 60_000);

  it('refuses a soak of no time, or of more than a day, with exit 2', async () => {
    for (const bad of ['0', '-1', 'abc', '1441']) {
      const r = await cli('run', '--soak', bad, '--no-progress');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--soak must be a number of minutes/);
    }
  });
});
