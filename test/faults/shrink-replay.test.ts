import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../../runner/case.ts';
import { cli } from '../helpers/cli.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'bp-shrink-'));
const results = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { cases: CaseResult[] };

describe('search, shrink, replay', () => {
  it('finds loss from a broker that drops un-acked messages on a crash, shrinks it to a tiny case, and replays it', async () => {
    const dir = tmp();
    const config = join(dir, 'brokerproof.config.json');
    writeFileSync(config, JSON.stringify({ drivers: { memory: { anomalies: { loseUnackedOnCrash: 1 } } } }));
    const out = join(dir, 'report');
    const found = await cli(
      ...[
        'run',
        '--config',
        config,
        '--setup',
        'queue',
        '--scenario',
        'work-queue',
        '--faults',
        'consumer-crash',
      ],
      ...['--runs', '20', '--seed', '3', '--shrink-time', '30', '--out', out, '--no-progress'],
    );
    expect(found.code).toBe(1);
    const cases = results(out).cases;
    const minimal = cases.find((c) => c.counterexample)!;
    expect(minimal).toBeDefined();
    expect(minimal.valid).toBe(false);
    expect(minimal.counts.lost).toBeGreaterThan(0);
    // A handful of messages and one crash is all it takes.
    expect(minimal.workload.messages).toBeLessThanOrEqual(3);
    expect(minimal.workload.crashes).toHaveLength(1);
    expect(minimal.path).toMatch(/^\d+(:\d+)+$/);
    // The first violation stopped the exploration: cases before it held.
    expect(cases.filter((c) => !c.counterexample && c.valid === false)).toHaveLength(1);

    const replayOut = join(dir, 'replay');
    const replay = await cli('replay', out, '--case', minimal.id, '--out', replayOut, '--no-progress');
    expect(replay.code).toBe(1);
    const again = results(replayOut).cases[0]!;
    expect(again.path).toBe(minimal.path);
    expect(again.workload).toEqual(minimal.workload);
    expect(again.counts.lost).toBe(minimal.counts.lost);
    // The same shape of history: the same operations by the same processes.
    const shape = (c: CaseResult, dirOf: string) =>
      readFileSync(join(dirOf, c.history), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => JSON.parse(line) as { p: string; f: string; type: string })
        .filter((e) => e.f !== 'phase')
        .map((e) => `${e.p} ${e.type} ${e.f}`)
        .sort();
    expect(shape(again, replayOut)).toEqual(shape(minimal, out));
  }, 120_000);

  it('does not shrink with --shrink-time 0: every case runs', async () => {
    const dir = tmp();
    const config = join(dir, 'brokerproof.config.json');
    writeFileSync(config, JSON.stringify({ drivers: { memory: { anomalies: { loseUnackedOnCrash: 1 } } } }));
    const r = await cli(
      ...[
        'run',
        '--config',
        config,
        '--setup',
        'queue',
        '--scenario',
        'work-queue',
        '--faults',
        'consumer-crash',
      ],
      ...[
        '--runs',
        '4',
        '--seed',
        '3',
        '--shrink-time',
        '0',
        '--out',
        join(dir, 'r'),
        '--json',
        '--no-progress',
      ],
    );
    expect(JSON.parse(r.stdout).cases).toHaveLength(4);
  }, 60_000);
});

describe('fault selection', () => {
  it('refuses network and broker faults on a driver without a proxy or a native broker (exit 2)', async () => {
    const r = await cli('run', '--scenario', 'work-queue', '--faults', 'partition', '--no-progress');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--faults partition cannot be injected into driver memory: the broker is not behind a Toxiproxy proxy/,
    );
  });

  it('producer crashes: the producer dies mid-send, restarts and sends again what it never saw acknowledged', async () => {
    const out = join(tmp(), 'r');
    const r = await cli(
      ...['run', '--setup', 'queue', '--scenario', 'work-queue', '--faults', 'producer-crash', '--runs', '3'],
      ...['--seed', '4', '--messages', '60', '--out', out, '--json', '--no-progress'],
    );
    expect(r.code).toBe(0);
    const cases = results(out).cases;
    const crashed = cases.filter((c) =>
      c.faultTimeline.some((f) => f.fault === 'producer-crash' && f.stopT !== undefined),
    );
    expect(crashed.length).toBeGreaterThan(0);
    for (const c of crashed) {
      const events = readFileSync(join(out, c.history), 'utf8');
      expect(events).toMatch(/"f":"crash","target":"producer-\d"/);
      // Everything was still sent in the end: the restarted producer finished the job.
      expect(c.counts.acknowledged).toBe(c.workload.messages);
    }
  }, 60_000);
});
