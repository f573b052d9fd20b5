import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFiguresReporters } from '../../reports/files.ts';
import { CHARTED_CASES, renderHtml } from '../../reports/html.ts';
import { jsonReporter } from '../../reports/json.ts';
import { renderMarkdown } from '../../reports/markdown.ts';
import { measurementTables } from '../../reports/measurements.ts';
import { throughputPlot } from '../../reports/plots.ts';
import { aCase, aRun, partitionFigures } from './fixture-cases.ts';

const HOSTILE = `<script>alert(1)</script>|"'&`;

describe('figures in the HTML report', () => {
  const figures = partitionFigures();
  figures.faults[0]!.label = `partition on ${HOSTILE}`;
  const page = renderHtml(aRun([aCase({ id: 'c1', figures })]));

  it('draws the load, latency and (with a fault) recovery charts as inline SVG', () => {
    expect(page.match(/<figure class="plot"/g)).toHaveLength(3);
    expect(page).toContain('aria-label="unavailability windows and recovery after each heal"');
    expect(page).toMatch(/<svg[^>]*class="plot-/);
    expect(page).toContain('aria-label="line"');
  });

  it('shows recovery after each fault and escapes fault labels, also inside the SVG', () => {
    expect(page).toContain('Recovery after faults');
    expect(page).toMatch(/<td class="num">20\.0 ms<\/td>\s*<td class="num">50\.0 ms<\/td>/);
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('partition on &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('leaves charts out past the budget, violations first', () => {
    const many = Array.from({ length: CHARTED_CASES + 20 }, (_, k) =>
      aCase({ id: `c${k}`, figures, valid: k !== CHARTED_CASES + 10 }),
    );
    const big = renderHtml(aRun(many));
    expect(big.match(/<figure class="plot"/g)).toHaveLength(3 * CHARTED_CASES);
    const violated = big.slice(big.indexOf(`data-case-id="c${CHARTED_CASES + 10}"`));
    expect(violated.slice(0, violated.indexOf('</section>'))).toContain('<figure class="plot"');
  });

  it('draws a case shorter than one bucket as a line, not a lone point', () => {
    const short = partitionFigures();
    short.endMs = 50;
    for (const name of ['sendOk', 'sendInfo', 'sendFail', 'deliveries'] as const)
      short.throughput[name] = [3];
    const svg = throughputPlot(short).text;
    const lines = [...svg.matchAll(/<g[^>]*aria-label="line"[^>]*>(.*?)<\/g>/gs)].map((m) => m[1]!);
    expect(lines).toHaveLength(1);
    const paths = [...lines[0]!.matchAll(/ d="([^"]+)"/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThanOrEqual(2);
    for (const d of paths) expect(d).toMatch(/^M[\d.,-]+[LHV]/);
  });

  it('says so when a case has no figures', () => {
    expect(renderHtml(aRun([aCase({ id: 'bare' })]))).toContain('No figures');
  });
});

describe('measurements', () => {
  const measurements = {
    staleReads: {
      queries: 40,
      lagMs: { count: 6, p50: 3, p95: 12, p99: 12, max: 15 },
      maxStalenessMs: 10,
      overBound: 2,
      groups: { 'projection-a': { queries: 40, lagMs: { count: 6, p50: 3, p95: 12, p99: 12, max: 15 } } },
    },
    appends: { streams: 4, accepted: 30, conflicts: 2, unknown: 0, forks: 0 },
    convergence: [
      { fault: 'partition', healedAtMs: 120, convergedAfterMs: 35 },
      { fault: HOSTILE, healedAtMs: 300, convergedAfterMs: null },
    ],
    [HOSTILE]: { nested: HOSTILE },
    plain: 7,
  };

  it('turns each known key into its table and anything else into key/value rows', () => {
    const tables = measurementTables(measurements);
    expect(tables.map((t) => t.key)).toEqual(['staleReads', 'appends', 'convergence', 'other']);
    expect(tables[0]!.title).toBe('Stale reads (bound 10 ms claimed: 2 over it)');
    expect(tables[0]!.rows).toEqual([
      ['all projections', '40', '6', '3 ms', '12 ms', '12 ms', '15 ms'],
      ['projection-a', '40', '6', '3 ms', '12 ms', '12 ms', '15 ms'],
    ]);
    expect(tables[1]!.rows).toEqual([['4', '30', '2', '0', '0']]);
    expect(tables[2]!.rows[1]).toEqual([HOSTILE, '300 ms', 'never (in the history)']);
    expect(tables[3]!.rows).toEqual([
      [`${HOSTILE}.nested`, HOSTILE],
      ['plain', '7'],
    ]);
  });

  it('falls back to key/value rows for a known key of another shape', () => {
    expect(measurementTables({ appends: 'n/a' })).toEqual([
      {
        key: 'other',
        title: 'Other measurements',
        headers: ['measurement', 'value'],
        rows: [['appends', 'n/a']],
      },
    ]);
  });

  it('renders them in HTML (escaped, with a lag chart) and in Markdown', () => {
    const run = aRun([aCase({ id: 'es', figures: partitionFigures(), measurements })]);
    const page = renderHtml(run);
    expect(page).toContain('data-measurement="staleReads"');
    expect(page).toContain('data-measurement="convergence"');
    expect(page).toContain('aria-label="stale-read lag p50, p95, p99 and max"');
    expect(page).not.toContain('<script>alert');
    const md = renderMarkdown(run);
    expect(md).toContain('#### Measurements of es');
    expect(md).toContain('| all projections | 40 | 6 | 3 ms | 12 ms | 12 ms | 15 ms |');
    expect(md).toContain('| partition | 120 ms | 35 ms |');
    expect(md).not.toContain('<script>');
  });
});

describe('figures in summary.md and results.json', () => {
  it('lists recovery and unavailability per case in summary.md', () => {
    const md = renderMarkdown(aRun([aCase({ id: 'c1', figures: partitionFigures() })]));
    expect(md).toContain('### Load, latency and recovery');
    expect(md).toMatch(/\| c1 \| 2 ok \/ 0 info \/ 0 fail \| .* \| 1 \| 20\.0 ms \| 50\.0 ms \| 0 \| 0 \|/);
  });

  it('computes figures from the history files and writes them into results.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'brokerproof-figures-'));
    try {
      await mkdir(join(dir, 'histories'));
      const lines = [
        { i: 0, t: 0, p: 'harness', type: 'ok', f: 'phase', phase: 'load' },
        {
          i: 1,
          t: 100_000,
          p: 'nemesis',
          type: 'ok',
          f: 'fault',
          fault: 'partition',
          action: 'start',
          target: 'all',
        },
        {
          i: 2,
          t: 900_000,
          p: 'nemesis',
          type: 'ok',
          f: 'fault',
          fault: 'partition',
          action: 'stop',
          target: 'all',
        },
        { i: 3, t: 950_000, p: 'producer-0', type: 'invoke', f: 'send', id: 'a', dest: 'q' },
        { i: 4, t: 975_000, p: 'producer-0', type: 'ok', f: 'send', id: 'a', dest: 'q' },
        { i: 5, t: 1_000_000, p: 'consumer-0', type: 'ok', f: 'deliver', id: 'a', dest: 'q' },
        { i: 6, t: 1_010_000, p: 'consumer-0', type: 'ok', f: 'process', id: 'a' },
      ];
      await writeFile(
        join(dir, 'histories', 'c1.ndjson'),
        `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`,
      );
      const run = aRun([
        aCase({ id: 'c1', history: 'histories/c1.ndjson' }),
        aCase({ id: 'gone', history: 'histories/gone.ndjson' }),
      ]);
      await withFiguresReporters([jsonReporter()]).onRunEnd?.(run, dir);
      const written = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
      expect(written.cases[0].figures.faults).toEqual([
        {
          kind: 'fault',
          label: 'partition on all',
          startMs: 100,
          healedAtMs: 900,
          firstSendOkAfterMs: 75,
          firstDeliveryAfterMs: 100,
        },
      ]);
      expect(written.cases[0].figures.latency.p50).toBe(60);
      // A missing history leaves the case without figures; the run is still written.
      expect(written.cases[1].figures).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
