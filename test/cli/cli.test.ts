import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliProcess } from '../helpers/cli.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'bp-cli-'));

describe('brokerproof run', () => {
  it('with no arguments runs the default suite on the memory broker, writes the report, exits 0', async () => {
    const cwd = tmp();
    const r = await cliProcess(['run', '--runs', '1', '--seed', '3'], { cwd });
    expect(r.stderr).toMatch(/holds: 11 held, 0 violated, 0 unknown/);
    expect(r.code).toBe(0);
    const out = join(cwd, 'brokerproof-report');
    for (const file of ['index.html', 'results.json', 'junit.xml', 'summary.md'])
      expect(existsSync(join(out, file))).toBe(true);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.cases.map((c: { scenario: string }) => c.scenario)).toEqual([
      'work-queue',
      'fan-out',
      'ordered',
      'retry-dlq',
      'idempotent-consumer',
      'at-most-once',
      'exactly-once',
      'outbox',
      'dual-write',
      'event-sourcing',
      'cqrs',
    ]);
    // exactly-once runs where it is claimed: the transactional pipeline.
    expect(results.cases.find((c: { scenario: string }) => c.scenario === 'exactly-once').setup).toBe(
      'log-transactions',
    );
    for (const c of results.cases) expect(existsSync(join(out, c.history))).toBe(true);
  }, 120_000);

  it('--json prints one document on stdout with the cases, and catches auto-ack claimed as at-least-once (exit 1)', async () => {
    const out = join(tmp(), 'report');
    const r = await cli(
      'run',
      '--setup',
      'auto-ack',
      '--scenario',
      'work-queue',
      '--guarantee',
      'at-least-once',
      '--faults',
      'consumer-crash',
      '--runs',
      '2',
      '--seed',
      '9',
      '--messages',
      '60',
      '--out',
      out,
      '--json',
      '--no-progress',
    );
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.valid).toBe(false);
    expect(doc.cases).toHaveLength(2);
    const lossy = doc.cases.filter((c: { counts: { lost: number } }) => c.counts.lost > 0);
    expect(lossy.length).toBeGreaterThan(0);
    expect(Object.keys(doc.cases[0]).sort()).toEqual(
      [
        'counts',
        'coverage',
        'driver',
        'guarantee',
        'history',
        'id',
        'path',
        'reasons',
        'scenario',
        'seed',
        'setup',
        'valid',
      ].sort(),
    );
    // The run says which faults fired: consumer crashes, none skipped.
    expect(doc.faultCoverage).toMatch(
      /^2 cases, \d+ crash(es)? fired at \d crash points?, .*, 0 faults skipped$/,
    );
    expect(doc.interrupted).toBe(false);
    expect(doc.cases[0].guarantee).toMatchObject({ delivery: 'at-least-once' });
    expect(existsSync(doc.cases[0].history)).toBe(true);
  });

  it('takes its settings from a JSON config file, and memory anomalies make it exit 1', async () => {
    const cwd = tmp();
    writeFileSync(
      join(cwd, 'brokerproof.config.json'),
      JSON.stringify({
        drivers: { memory: { anomalies: { drop: 0.05 } } },
        scenarios: ['work-queue'],
        runs: 3,
        seed: 42,
        shrinkTime: 0,
      }),
    );
    const r = await cliProcess(['run', '--messages', '100', '--json', '--no-progress'], { cwd });
    const doc = JSON.parse(r.stdout);
    expect(doc.cases).toHaveLength(3);
    expect(
      doc.cases.every(
        (c: { scenario: string; seed: number }) => c.scenario === 'work-queue' && c.seed === 42,
      ),
    ).toBe(true);
    expect(doc.valid).toBe(false);
    expect(r.code).toBe(1);
  }, 60_000);

  it.each([
    [['run', '--driver', 'nope'], /unknown driver "nope"/],
    [['run', '--runs', '0'], /--runs must be a positive integer/],
    [['run', '--guarantee', 'twice'], /unknown guarantee "twice"/],
    [['run', '--faults', 'meteor'], /unknown fault "meteor"/],
    [
      ['run', '--setup', 'log', '--scenario', 'retry-dlq'],
      /cannot run on memory\/log: setup log has no dead-letter policy/,
    ],
    [['run', '--scenario', 'nap'], /unknown scenario "nap"/],
    [['run', '--config', '/no/such/config.json'], /does not exist/],
    [['run', '--frobnicate'], /unknown option '--frobnicate'/],
    [['check', '/no/such/history.ndjson', '--guarantee', 'at-least-once'], /cannot read history file/],
    [['report', '/no/such/dir'], /cannot read/],
    [['replay', '/no/such/results.json'], /cannot read/],
  ])('%j exits 2 with a clear message and no stack trace', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/);
  });
});

describe('exactly-once on setups that do not claim it', () => {
  it('a sequential pipeline (forward, then commit) forwards twice after a crash: duplicated, exit 1', async () => {
    const r = await cli(
      ...[
        'run',
        '--setup',
        'log',
        '--scenario',
        'exactly-once',
        '--runs',
        '4',
        '--seed',
        '5',
        '--faults',
        'consumer-crash',
      ],
      ...['--out', join(tmp(), 'eo-log'), '--json', '--no-progress'],
    );
    const doc = JSON.parse(r.stdout);
    expect(doc.cases.some((c: { counts: { duplicated: number } }) => c.counts.duplicated > 0)).toBe(true);
    expect(r.code).toBe(1);
  });

  it('a plain queue (process, then ack) runs when named, and consumer crashes make it fail with duplicates (exit 1)', async () => {
    const r = await cli(
      ...[
        'run',
        '--faults',
        'consumer-crash',
        '--setup',
        'queue',
        '--scenario',
        'exactly-once',
        '--runs',
        '6',
        '--seed',
        '11',
        '--messages',
        '80',
      ],
      ...['--out', join(tmp(), 'eo'), '--json', '--no-progress'],
    );
    const doc = JSON.parse(r.stdout);
    expect(
      doc.cases.every((c: { guarantee: { delivery: string } }) => c.guarantee.delivery === 'exactly-once'),
    ).toBe(true);
    expect(doc.cases.some((c: { counts: { duplicated: number } }) => c.counts.duplicated > 0)).toBe(true);
    expect(r.code).toBe(1);
  });
});

describe('brokerproof check', () => {
  const write = (lines: object[] | string[]) => {
    const file = join(tmp(), 'h.ndjson');
    writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
    return file;
  };
  const lost = [
    { i: 0, t: 0, p: 'producer-0', type: 'invoke', f: 'send', id: 'a', dest: 'q' },
    { i: 1, t: 1, p: 'producer-0', type: 'ok', f: 'send', id: 'a' },
  ];

  it('--json prints the DESIGN document and exits 1 on a violation, 0 when the claim holds', async () => {
    const file = write(lost);
    const violated = await cli('check', file, '--guarantee', 'at-least-once', '--json');
    expect(violated.code).toBe(1);
    const doc = JSON.parse(violated.stdout);
    expect(doc).toMatchObject({ valid: false, guarantee: { delivery: 'at-least-once', ordering: 'none' } });
    expect(doc.counts.lost).toBe(1);
    expect(doc.groups.default.counts.lost).toBe(1);
    expect(doc.anomalies[0]).toMatchObject({ kind: 'lost', id: 'a', group: 'default', events: [0, 1] });
    const holds = await cli('check', file, '--guarantee', 'at-most-once', '--json');
    expect(holds.code).toBe(0);
    expect(JSON.parse(holds.stdout).valid).toBe(true);
  });

  it('exits 2 on a malformed line, naming the line', async () => {
    const file = write([JSON.stringify(lost[0]), '{"i":1,"t":1,"p":"x","type":"ok","f":"send"}']);
    const r = await cli('check', file, '--guarantee', 'at-least-once');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/h\.ndjson:2: a send event needs an "id"/);
  });

  it('exits 2 without a guarantee (and none in the meta line), or with an unknown one', async () => {
    expect((await cli('check', write(lost))).code).toBe(2);
    const r = await cli('check', write(lost), '--guarantee', 'mostly');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown guarantee "mostly"/);
  });

  it('takes the claim from the meta line when no --guarantee is given', async () => {
    const file = write([
      { type: 'meta', version: 1, guarantee: { delivery: 'at-most-once', ordering: 'none' } },
      ...lost,
    ]);
    const r = await cli('check', file, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).guarantee.delivery).toBe('at-most-once');
  });

  it('--json carries reasons and the fault-integrity summary; a planned crash that never fired exits 2', async () => {
    const handled = [
      ...lost,
      { i: 2, t: 2, p: 'consumer-0', type: 'ok', f: 'deliver', id: 'a', dest: 'q' },
      { i: 3, t: 3, p: 'consumer-0', type: 'ok', f: 'process', id: 'a' },
      { i: 4, t: 4, p: 'nemesis', type: 'info', f: 'crash', target: 'consumer-0', point: 'after-process' },
    ];
    const fired = await cli('check', write(handled), '--guarantee', 'at-least-once', '--json');
    expect(fired.code).toBe(0);
    const passed = JSON.parse(fired.stdout);
    expect(Object.keys(passed)).toEqual(
      expect.arrayContaining([
        'valid',
        'guarantee',
        'counts',
        'groups',
        'anomalies',
        'reasons',
        'faultIntegrity',
      ]),
    );
    expect(passed).toMatchObject({ valid: true, reasons: [] });
    expect(passed.faultIntegrity).toEqual({
      started: 0,
      failed: 0,
      cancelled: 0,
      neverCompleted: 0,
      crashesFired: 1,
      crashesCancelled: 0,
    });
    for (const name of ['lost', 'duplicatedAfterAck', 'reordered', 'attempted', 'extraProcessing'])
      expect(passed.counts).toHaveProperty(name);

    const cancelled = {
      i: 5,
      t: 5,
      p: 'nemesis',
      type: 'fail',
      f: 'crash',
      target: 'consumer-1',
      reason: 'cancelled',
    };
    const r = await cli('check', write([...handled, cancelled]), '--guarantee', 'at-least-once', '--json');
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.valid).toBe('unknown');
    expect(doc.reasons).toEqual(['planned crash of consumer-1 never fired (cancelled)']);
    expect(doc.faultIntegrity.crashesCancelled).toBe(1);
    // A violation stays a violation: exit 1.
    const violated = await cli(
      'check',
      write([...lost, { ...cancelled, i: 2, t: 2 }]),
      '--guarantee',
      'at-least-once',
    );
    expect(violated.code).toBe(1);
    expect(violated.stdout).toMatch(/planned crash of consumer-1 never fired \(cancelled\)/);
    expect(violated.stdout).toMatch(/crashes: 0 fired, 1 planned but never fired/);
  });

  it('exits 2 ("unknown") on a history cut off before its check phase', async () => {
    const file = write([
      { i: 0, t: 0, p: 'harness', type: 'ok', f: 'phase', phase: 'load' },
      ...lost.map((e) => ({ ...e, i: e.i + 1 })),
    ]);
    const r = await cli('check', file, '--guarantee', 'at-least-once', '--json');
    expect(JSON.parse(r.stdout).valid).toBe('unknown');
    expect(r.code).toBe(2);
  });
});

describe('report and replay', () => {
  it('re-renders reports from results.json, and replays a case to the same verdict and workload', async () => {
    const out = join(tmp(), 'report');
    const first = await cli(
      'run',
      '--faults',
      'consumer-crash',
      '--setup',
      'auto-ack',
      '--scenario',
      'work-queue',
      '--guarantee',
      'at-least-once',
      '--runs',
      '4',
      '--seed',
      '21',
      '--messages',
      '200',
      '--out',
      out,
      '--no-progress',
      '--json',
    );
    const original = JSON.parse(first.stdout).cases.find((c: { valid: boolean }) => c.valid === false);
    expect(original).toBeDefined();

    writeFileSync(join(out, 'index.html'), 'stale');
    const report = await cli('report', out);
    expect(report.code).toBe(0);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toMatch(/<!doctype html>/i);

    const replayOut = join(tmp(), 'replay');
    const replay = await cli(
      'replay',
      join(out, 'results.json'),
      '--case',
      original.id,
      '--out',
      replayOut,
      '--json',
      '--no-progress',
    );
    expect(replay.code).toBe(1);
    const again = JSON.parse(replay.stdout).cases[0];
    expect(again).toMatchObject({ id: original.id, seed: original.seed, path: original.path, valid: false });
    expect(again.counts.attempted).toBe(original.counts.attempted);
    const meta = (f: string) => JSON.parse(readFileSync(f, 'utf8').split('\n')[0]!).workload;
    expect(meta(again.history)).toEqual(meta(original.history));
  });
});
