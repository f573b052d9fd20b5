import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SELFTEST_PROBES, selftest } from '../../suites/selftest.ts';
import { cli } from '../helpers/cli.ts';

describe('selftest: the checker against the memory broker', () => {
  it('on fast-check-drawn workloads, catches every injected anomaly and never flags a clean run', async () => {
    const result = await selftest({
      runs: 4,
      seed: 2024,
      outDir: mkdtempSync(join(tmpdir(), 'bp-selftest-')),
    });
    const wrong = result.cases.filter((c) => !c.correct);
    expect(wrong).toEqual([]);
    expect(result.detectionRate).toBe(1);
    expect(result.falsePositiveRate).toBe(0);
    // Every probe was exercised at least once, so neither rate is vacuous.
    for (const probe of SELFTEST_PROBES) expect(result.cases.some((c) => c.probe === probe.name)).toBe(true);
    expect(result.cases.filter((c) => c.anomaly !== null).length).toBeGreaterThanOrEqual(20);
    // A broker that hands out again what it confirmed shows a delivery after the ack ok; a clean
    // consumer that acks before processing (at-most-once) shows none.
    const afterAck = result.cases.filter((c) => c.probe === 'redeliverAfterAck (log)');
    expect(afterAck.every((c) => (c.counts.duplicatedAfterAck ?? 0) > 0)).toBe(true);
    const clean = result.cases.filter((c) => c.anomaly === null);
    expect(clean.some((c) => c.id.includes('at-most-once'))).toBe(true);
    expect(clean.filter((c) => (c.counts.duplicatedAfterAck ?? 0) > 0)).toEqual([]);
  }, 120_000);

  it('brokerproof selftest --json prints detectionRate, falsePositiveRate and cases, exit 0', async () => {
    const r = await cli(
      'selftest',
      '--runs',
      '1',
      '--seed',
      '5',
      '--out',
      mkdtempSync(join(tmpdir(), 'bp-st-')),
      '--json',
    );
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ detectionRate: 1, falsePositiveRate: 0 });
    expect(doc.cases.length).toBeGreaterThan(0);
    expect(r.code).toBe(0);
  }, 120_000);
});
