import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCompareHtml } from '../../reports/compare/html.ts';
import { renderCompareMarkdown } from '../../reports/compare/markdown.ts';
import { buildCompare, type ComparedRun } from '../../reports/compare/model.ts';
import { cli } from '../helpers/cli.ts';
import { aCase, aRun, counts, partitionFigures } from './fixture-cases.ts';

const HOSTILE = `<script>alert(1)</script>|"'&`;

function runs(): ComparedRun[] {
  const crash = aRun([
    aCase({ id: 'q0', figures: partitionFigures() }),
    aCase({ id: 'q1' }),
    aCase({
      id: 'a0',
      setup: 'auto-ack',
      valid: false,
      violations: ['lost'],
      counts: counts({ lost: 5, duplicated: 9 }),
    }),
    aCase({
      id: 'a1',
      setup: 'auto-ack',
      valid: false,
      violations: ['lost', 'duplicated'],
      counts: counts({ lost: 7, duplicated: 1 }),
    }),
    aCase({
      id: 'n0',
      driver: 'nats',
      setup: 'double-ack',
      claimBasis: 'vendor',
      vendorClaim: `exactly once ${HOSTILE}`,
      guarantee: { delivery: 'exactly-once', ordering: 'none' },
    }),
  ]);
  const calm = aRun(
    [
      aCase({ id: 'q-none', faults: [], valid: 'unknown', reasons: [`drain cut off ${HOSTILE}`] }),
      aCase({ id: 'r-none', driver: 'rabbitmq', setup: HOSTILE, faults: [] }),
      aCase({ id: 'l-none', setup: 'log', faults: [], scenario: 'ordered', variant: 'v1' }),
    ],
    {
      faults: [],
      skipped: [{ driver: 'memory', setup: 'log', scenario: 'fan-out', reason: 'fits no setup' }],
    },
  );
  return [
    { dir: 'crash', href: '../crash', result: crash },
    { dir: 'calm', href: '../calm', result: calm },
  ];
}

describe('buildCompare', () => {
  const model = buildCompare(runs());
  const row = (key: string) => model.setups.find((s) => s.key === key)!;

  it('makes one column per scenario × fault set, no-fault columns first', () => {
    expect(model.columns.map((c) => c.key)).toEqual([
      'work-queue × none',
      'work-queue × consumer-crash',
      'ordered+v1 × none',
    ]);
  });

  it('groups rows by driver in the order drivers first appear', () => {
    expect(model.setups.map((s) => s.key)).toEqual([
      'memory/queue',
      'memory/auto-ack',
      'memory/log',
      'nats/double-ack',
      `rabbitmq/${HOSTILE}`,
    ]);
  });

  it('gives each cell its verdict: held, violated with the decisive anomaly, unknown with the reason, n/a', () => {
    expect(row('memory/queue').cells['work-queue × consumer-crash']).toMatchObject({ verdict: 'held' });
    expect(row('memory/auto-ack').cells['work-queue × consumer-crash']).toMatchObject({
      verdict: 'violated',
      // lost is forbidden in both cases (5 + 7); duplicated counts only where it was a violation (1).
      anomaly: { kind: 'lost', count: 12 },
    });
    expect(row('memory/queue').cells['work-queue × none']).toMatchObject({
      verdict: 'unknown',
      reason: `drain cut off ${HOSTILE}`,
    });
    expect(row('memory/auto-ack').cells['work-queue × none']).toEqual({
      verdict: 'not-applicable',
      cases: [],
    });
    expect(model.totals).toEqual({ held: 4, violated: 1, unknown: 1, notApplicable: 9 });
  });

  it('links each case to its evidence in its report', () => {
    expect(row('memory/queue').cells['work-queue × consumer-crash']!.cases).toEqual([
      { id: 'q0', valid: true, href: '../crash/index.html#case-q0' },
      { id: 'q1', valid: true, href: '../crash/index.html#case-q1' },
    ]);
  });

  it('carries recovery figures into the setup statistics', () => {
    const r = row('memory/queue').stats.recovery;
    expect(r.faults).toBe(1);
    expect(r.sendOkMs).toEqual({ median: 20, max: 20, never: 0 });
    expect(r.deliveryMs).toEqual({ median: 50, max: 50, never: 0 });
    expect(row('memory/queue').stats.latencyMs.count).toBe(2);
  });

  it('says on whose word each setup claims, and lists what was skipped', () => {
    expect(row('nats/double-ack')).toMatchObject({
      claimBasis: 'vendor',
      vendorClaim: `exactly once ${HOSTILE}`,
    });
    expect(row('memory/queue').claimBasis).toBe('configuration');
    expect(row('nats/double-ack').claims).toEqual([{ claim: 'exactly-once', scenarios: ['work-queue'] }]);
    expect(model.notRun).toEqual([
      { driver: 'memory', setup: 'log', scenario: 'fan-out', faults: 'none', reason: 'fits no setup' },
    ]);
  });

  it('renders HTML with every value escaped and nothing loaded', () => {
    const page = renderCompareHtml(model);
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('default-src &#39;none&#39;');
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page).toContain('href="../crash/index.html#case-q0"');
    // The matrix comes before the performance and claims sections.
    expect(page.indexOf('id="matrix"')).toBeLessThan(page.indexOf('id="performance"'));
    expect(page.indexOf('id="performance"')).toBeLessThan(page.indexOf('id="claims"'));
  });

  it('renders Markdown whose tables survive pipes in values', () => {
    const md = renderCompareMarkdown(model);
    const matrix = md.slice(md.indexOf('### Matrix'), md.indexOf('### Load'));
    const rows = matrix.split('\n').filter((l) => l.startsWith('| '));
    expect(rows).toHaveLength(model.setups.length + 2);
    // Every row has one cell per column plus the setup (escaped pipes do not split cells).
    for (const line of rows) expect(line.split(/(?<!\\)\|/).length).toBe(model.columns.length + 3);
    expect(md).toContain('[✗ lost 12](../crash/index.html#case-a0)');
    expect(md).not.toContain('<script>');
  });
});

describe('brokerproof compare (command)', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'brokerproof-compare-'));
    await mkdir(join(root, 'empty'));
    await mkdir(join(root, 'good'));
    await writeFile(join(root, 'good', 'results.json'), JSON.stringify(aRun([aCase({ id: 'only' })])));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes index.html, compare.json and compare.md from report directories', async () => {
    const out = join(root, 'out');
    const run = await cli('compare', join(root, 'good'), '--out', out);
    expect(run.code, run.stderr).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const model = JSON.parse(await readFile(join(out, 'compare.json'), 'utf8'));
    expect(model.setups[0].cells['work-queue × consumer-crash'].cases[0].href).toBe(
      '../good/index.html#case-only',
    );
    expect(await readFile(join(out, 'index.html'), 'utf8')).toContain('<table class="matrix">');
    expect(await readFile(join(out, 'compare.md'), 'utf8')).toContain('### Matrix');
  });

  it.each([
    [['no-such-dir'], 'does not exist'],
    [['empty'], 'holds no results.json'],
    [['good', '--runs', '2'], '--runs applies when running the matrix'],
    [['good', '--drivers', 'memory'], 'not both'],
  ])('refuses %j with exit 2', async (args, message) => {
    const [first, ...rest] = args as string[];
    const run = await cli('compare', join(root, first!), ...rest, '--out', join(root, 'bad-out'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it.each([
    [['--drivers', 'memory,no-such-driver'], 'unknown driver "no-such-driver"'],
    [['--drivers', 'memory', '--faults', 'none,gremlins'], 'unknown fault "gremlins"'],
    [['--drivers', 'memory', '--scenario', 'no-such-scenario'], 'unknown scenario "no-such-scenario"'],
  ])('refuses a matrix of %j with exit 2 before running anything', async (args, message) => {
    const run = await cli('compare', ...(args as string[]), '--out', join(root, 'bad-matrix'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('runs the matrix on the memory broker and lists what could not run, with why', async () => {
    const out = join(root, 'matrix');
    const run = await cli(
      'compare',
      '--drivers',
      'memory',
      '--scenario',
      'work-queue',
      '--faults',
      'none,partition',
      '--runs',
      '1',
      '--messages',
      '40',
      '--seed',
      '9',
      '--out',
      out,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/compare matrix of \d+ cases/);
    expect(run.stderr).toMatch(/\[1\/\d+\] memory\.queue\.work-queue\.0 × none: holds/);
    const { readFile } = await import('node:fs/promises');
    const model = JSON.parse(await readFile(join(out, 'compare.json'), 'utf8'));
    expect(model.columns.map((c: { key: string }) => c.key)).toEqual(['work-queue × none']);
    expect(model.setups.length).toBeGreaterThan(1);
    for (const setup of model.setups) expect(setup.cells['work-queue × none'].verdict).toBe('held');
    // The memory broker takes no network faults: every partition case is listed as not run.
    const partition = model.notRun.filter((n: { faults: string }) => n.faults === 'partition');
    expect(partition).toHaveLength(model.setups.length);
    expect(partition[0].reason).toMatch(/^partition cannot be injected into memory/);
    expect(await readFile(join(out, 'index.html'), 'utf8')).toContain('id="not-run"');
  }, 60_000);

  it('lists power-loss as not run where no broker process can lose power (the memory driver)', async () => {
    const { readFile } = await import('node:fs/promises');
    const out = join(root, 'matrix-power-loss');
    const r = await cli(
      'compare',
      '--drivers',
      'memory',
      '--scenario',
      'work-queue',
      '--faults',
      'power-loss',
      '--out',
      out,
    );
    expect(r.code, r.stderr).not.toBe(1);
    const model = JSON.parse(await readFile(join(out, 'compare.json'), 'utf8'));
    expect(model.notRun.length).toBeGreaterThan(0);
    for (const n of model.notRun)
      expect(n.reason).toMatch(/^power-loss: power-loss cannot reach the memory driver's broker/);
  }, 60_000);

  it('runs the broker-level scenarios by default, and every scenario with --scenario all', async () => {
    const { readFile } = await import('node:fs/promises');
    const scenariosOf = async (out: string) => {
      const model = JSON.parse(await readFile(join(out, 'compare.json'), 'utf8'));
      const ran = model.columns.map((c: { key: string }) => c.key.split(' × ')[0]);
      const notRun = model.notRun.map((n: { scenario: string }) => n.scenario);
      return new Set<string>([...ran, ...notRun]);
    };
    const common = ['--drivers', 'memory', '--faults', 'none', '--runs', '1', '--seed', '4'];
    // --max-time 0: nothing starts, and every planned case is listed as not run with its scenario.
    const byDefault = join(root, 'matrix-default');
    const first = await cli('compare', ...common, '--max-time', '0', '--out', byDefault);
    expect(first.code, first.stderr).not.toBe(1);
    expect([...(await scenariosOf(byDefault))].sort()).toEqual(
      ['exactly-once', 'fan-out', 'ordered', 'retry-dlq', 'work-queue'].sort(),
    );
    const everything = join(root, 'matrix-all');
    const all = await cli('compare', ...common, '--scenario', 'all', '--max-time', '0', '--out', everything);
    expect(all.code, all.stderr).not.toBe(1);
    const planned = await scenariosOf(everything);
    for (const s of ['cqrs', 'event-sourcing', 'outbox', 'idempotent-consumer', 'work-queue'])
      expect(planned.has(s), s).toBe(true);
  }, 60_000);
});
