import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Counts, zeroCounts } from '../../checker/check.ts';
import type { HistoryEvent } from '../../core/events.ts';
import { escapeHtml, htmlReporter, relativeHref, renderHtml } from '../../reports/html.ts';
import { renderMarkdown } from '../../reports/markdown.ts';
import type { CaseResult } from '../../runner/case.ts';
import type { RunResult } from '../../runner/run-result.ts';
import { plainWorkload } from '../../scenarios/scenario.ts';

const HOSTILE = `<script>alert(1)</script>"'&`;
const HOSTILE_ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;';

function counts(values: Partial<Counts>): Counts {
  return { ...zeroCounts(), ...values };
}

function baseCase(overrides: Partial<CaseResult>): CaseResult {
  return {
    id: 'case',
    driver: 'memory',
    setup: 'queue',
    scenario: 'steady',
    guarantee: { delivery: 'at-least-once', ordering: 'none' },
    seed: 42,
    path: '0:1',
    valid: true,
    counts: counts({ attempted: 10, acknowledged: 10, delivered: 10, processed: 10 }),
    groups: {},
    violations: [],
    reasons: [],
    anomalies: [],
    evidence: {},
    history: 'histories/case.ndjson',
    workload: plainWorkload(10, { payloadBytes: 16, seed: 7 }),
    faults: [],
    phases: [
      { phase: 'setup', t: 0 },
      { phase: 'load', t: 1_000 },
      { phase: 'heal', t: 5_000 },
      { phase: 'drain', t: 6_000 },
      { phase: 'check', t: 9_000 },
      { phase: 'teardown', t: 9_500 },
    ],
    crashes: [],
    faultTimeline: [],
    retryIntervals: [],
    diagnostics: {},
    events: 40,
    durationMs: 12,
    ...overrides,
  };
}

const validCase = baseCase({ id: 'memory/queue/steady#1' });

const evidence: Record<number, HistoryEvent> = {
  3: { i: 3, t: 1_500, p: 'producer-0', type: 'invoke', f: 'send', id: HOSTILE, dest: 'q' },
  4: { i: 4, t: 1_750, p: 'producer-0', type: 'ok', f: 'send', id: HOSTILE, dest: 'q', offset: 12 },
  17: {
    i: 17,
    t: 4_250,
    p: `consumer-0${HOSTILE}`,
    type: 'ok',
    f: 'deliver',
    id: 'm-2',
    group: HOSTILE,
    dest: 'q',
    redelivered: true,
  },
};

const violatedCase = baseCase({
  id: `violated ${HOSTILE}`,
  scenario: 'crash-consumer',
  guarantee: { delivery: 'exactly-once', ordering: 'per-key', maxAttempts: 3 },
  valid: false,
  counts: counts({ attempted: 10, acknowledged: 10, lost: 1, duplicated: 2, redelivered: 1, processed: 11 }),
  groups: {
    [HOSTILE]: { counts: counts({ lost: 1, processed: 5 }) },
    billing: { counts: counts({ duplicated: 2, processed: 6 }) },
  },
  violations: ['lost', 'duplicated'],
  anomalies: [
    {
      kind: 'lost',
      id: HOSTILE,
      group: HOSTILE,
      events: [3, 4],
      detail: `acknowledged at ${HOSTILE}, never processed`,
    },
    { kind: 'duplicated', id: 'm-2', group: 'billing', events: [17, 99] },
    { kind: 'redelivered', id: 'm-2', group: 'billing', events: [17] },
  ],
  evidence,
  history: `histories/${HOSTILE}.ndjson`,
  phases: [
    { phase: 'setup', t: 0 },
    { phase: 'load', t: 1_000 },
    { phase: 'heal', t: 5_000 },
    { phase: 'drain', t: 6_000 },
    { phase: 'drain', t: 8_500, cutOff: true },
    { phase: 'check', t: 9_000 },
    { phase: 'teardown', t: 9_500 },
  ],
  crashes: [{ target: `consumer-0${HOSTILE}`, t: 4_000 }],
  coverage: {
    faults: [
      {
        fault: 'partition',
        target: HOSTILE,
        status: 'fired',
        startT: 1_000,
        stopT: 2_500_000,
        durationMs: 2_499,
        redeliveries: 7,
      },
      { fault: 'broker-kill', target: 'rabbitmq', status: 'cancelled', error: HOSTILE, redeliveries: 0 },
    ],
    crashes: [{ point: 'after-ack', fired: 1, cancelled: 1, redeliveries: 4 }],
    otherCrashes: 0,
  },
  retryIntervals: [
    { afterDelivery: 1, samples: 3, intendedMs: 250, minMs: 240.5, meanMs: 260.1, maxMs: 301.9 },
  ],
  diagnostics: { queue: HOSTILE, depth: 0 },
  workload: {
    ...baseCase({}).workload,
    poison: [2, 5],
    crashes: [{ group: 1, atDelivery: 3, point: 'before-process' }],
  },
  faults: ['consumer-crash'],
});

const unknownCase = baseCase({
  id: 'unknown-case',
  driver: 'kafka',
  valid: 'unknown',
  reasons: [`drain cut off ${HOSTILE}`, `broker unreachable: ${HOSTILE}`],
  error: `broker unreachable: ${HOSTILE}`,
  history: 'histories/unknown-case.ndjson',
});

const result: RunResult = {
  version: 1,
  tool: { name: 'brokerproof', version: '0.1.0' },
  valid: false,
  startedAt: '2024-05-01T10:00:00.000Z',
  finishedAt: '2024-05-01T10:00:03.000Z',
  durationMs: 3_000,
  seed: 1234567,
  runs: 3,
  faults: ['consumer-crash'],
  interrupted: false,
  // Redaction is by key; a URL with a password inside would slip through, so the page shows none of this.
  settings: { drivers: { rabbitmq: { url: 'amqp://guest:hunter2@localhost:5672' } }, messages: 10 },
  cases: [validCase, violatedCase, unknownCase],
  skipped: [{ driver: 'nats', setup: '*', scenario: `poison ${HOSTILE}`, reason: `needs a DLQ ${HOSTILE}` }],
};

const page = renderHtml(result);

/** The part of the page about one case, from its section to the next. */
function sectionOf(html: string, caseIdEscaped: string): string {
  const start = html.indexOf(`<span class="case-id">${caseIdEscaped}</span>`);
  expect(start).toBeGreaterThan(-1);
  const end = html.indexOf('</section>', start);
  return html.slice(start, end);
}

describe('escaping', () => {
  it('escapes the five characters that matter in text and attributes', () => {
    expect(escapeHtml(HOSTILE)).toBe(HOSTILE_ESCAPED);
  });

  it('never emits hostile markup: the only script element is the report’s own', () => {
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain(`"'&`);
    expect(page.match(/<script/g)).toHaveLength(1);
  });

  it('shows hostile case ids, groups, errors, reasons, events and diagnostics escaped', () => {
    const violated = sectionOf(page, `violated ${HOSTILE_ESCAPED}`);
    expect(violated).toContain(`<code>${HOSTILE_ESCAPED}</code> in group <code>${HOSTILE_ESCAPED}</code>`);
    expect(violated).toContain(`acknowledged at ${HOSTILE_ESCAPED}, never processed`);
    expect(violated).toContain(`<th class="num">${HOSTILE_ESCAPED}</th>`);
    // An event field that is not a plain word is shown as JSON, then escaped.
    expect(violated).toContain(escapeHtml(JSON.stringify(HOSTILE)));
    expect(violated).toContain(escapeHtml(JSON.stringify({ queue: HOSTILE, depth: 0 }, null, 2)));
    const unknown = sectionOf(page, 'unknown-case');
    expect(unknown).toContain(`<pre>broker unreachable: ${HOSTILE_ESCAPED}</pre>`);
    expect(unknown).toContain(`<li>drain cut off ${HOSTILE_ESCAPED}</li>`);
  });

  it('derives anchors from case ids with only safe characters, distinct for distinct ids', () => {
    const ids = [...page.matchAll(/<section class="case[^"]*" id="([^"]*)"/g)].map((m) => m[1]!);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(/^case-[A-Za-z0-9_.-]+$/);
    const similar = renderHtml({
      ...result,
      cases: [
        baseCase({ id: 'a/b' }),
        baseCase({ id: 'a_b' }),
        baseCase({ id: 'a b' }),
        baseCase({ id: 'a/b' }),
      ],
    });
    const anchors = [...similar.matchAll(/<section class="case[^"]*" id="([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(anchors).size).toBe(4);
  });

  it('turns history paths into relative hrefs that cannot name a scheme or a host', () => {
    expect(relativeHref('histories/a b.ndjson')).toBe('histories/a%20b.ndjson');
    expect(relativeHref('javascript:alert(1)')).toBe('javascript%3Aalert(1)');
    expect(relativeHref('//evil.example/x')).toBe('evil.example/x');
    expect(relativeHref('..\\histories\\c.ndjson')).toBe('../histories/c.ndjson');
  });
});

describe('self-contained', () => {
  it('loads nothing from the network', () => {
    expect(page).not.toMatch(/<link/i);
    expect(page).not.toMatch(/\ssrc=/i);
    expect(page).not.toMatch(/@import/i);
    expect(page).not.toMatch(/url\(/i);
    expect(page).not.toMatch(/https?:\/\//i);
    expect(page).not.toMatch(/href="\/\//);
  });

  it('declares a strict content security policy that admits only its own script', () => {
    const csp = page
      .match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/)?.[1]
      ?.replaceAll('&#39;', "'");
    expect(csp).toBeDefined();
    expect(csp).toContain(`default-src 'none'`);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  });

  it('works without scripts: case sections are <details>, violated ones open', () => {
    expect(page).toMatch(/<section class="case case-violated"[^>]*>\s*<details class="case-details" open>/);
    expect(page).toMatch(/<section class="case case-holds"[^>]*>\s*<details class="case-details">/);
  });
});

describe('credentials', () => {
  it('renders nothing from the run settings', () => {
    expect(page).not.toContain('hunter2');
    expect(page).not.toContain('amqp://');
  });
});

describe('content', () => {
  it('states the overall verdict, totals and run facts', () => {
    expect(page).toContain('<span class="badge v-violated">✗ violated</span>');
    expect(page).toMatch(
      /3 cases: <strong>1<\/strong> held,\s*<strong>1<\/strong> violated, <strong>1<\/strong> unknown/,
    );
    expect(page).toContain('<dt>seed</dt><dd>1234567</dd>');
    expect(page).toContain('<dt>tool</dt><dd>brokerproof 0.1.0</dd>');
    expect(page).toContain('<dt>started</dt><dd>2024-05-01T10:00:00.000Z</dd>');
    expect(page).toContain('<span class="badge v-holds">✓ holds</span>');
    expect(page).toContain('<span class="badge v-unknown">? unknown</span>');
  });

  it('links every case table row to its section', () => {
    const links = [...page.matchAll(/<tr class="row-[a-z]+">\s*<td><a href="#([^"]+)">/g)].map((m) => m[1]!);
    expect(links).toHaveLength(3);
    const sectionIds = [...page.matchAll(/<section class="case[^"]*" id="([^"]*)"/g)].map((m) => m[1]);
    expect(sectionIds).toEqual(links);
  });

  it('shows the claim, the kinds it forbids, and highlights forbidden non-zero counts', () => {
    const violated = sectionOf(page, `violated ${HOSTILE_ESCAPED}`);
    expect(violated).toContain('exactly-once, per-key order, DLQ after 3 attempts');
    expect(violated).toContain('<code>lost</code> <code>duplicated</code>');
    expect(violated).toContain('<code>reordered</code>');
    expect(violated).toContain('<tr class="bad"><th>lost</th><td>1</td><td><strong>forbidden ✗</strong>');
    expect(violated).toContain('<tr class="info"><th>redelivered</th><td>1</td><td>info</td>');
    expect(violated).toContain('<tr class="allowed"><th>duplicatedAfterAck</th><td>0</td><td>allowed</td>');
    // Forbidden but absent: labelled, not highlighted.
    expect(violated).toContain('<tr class="forbidden"><th>dlqEarly</th><td>0</td><td>forbidden</td>');
    expect(violated).toContain('<tr><th>deadLettered</th><td>0</td></tr>');
  });

  it('links each violation to the block holding its evidence', () => {
    const violated = sectionOf(page, `violated ${HOSTILE_ESCAPED}`);
    const link = violated.match(
      /<li><strong>lost<\/strong>: 1 message — <a href="#([^"]+)">evidence<\/a>/,
    )?.[1];
    expect(link).toMatch(/^case-[A-Za-z0-9_.-]+~lost$/);
    expect(violated).toContain(`<details class="kind kind-forbidden" id="${link}" open>`);
  });

  it('lists each anomaly example with its evidence events by index and time', () => {
    const violated = sectionOf(page, `violated ${HOSTILE_ESCAPED}`);
    expect(violated).toContain('<span class="ev-i">#3</span> <span class="ev-t">1.500 ms</span> producer-0');
    expect(violated).toContain('<span class="ev-i">#4</span>');
    expect(violated).toContain('<span class="ev-i">#17</span> <span class="ev-t">4.250 ms</span>');
    expect(violated).toContain('<span class="ev-k">offset=</span>12');
    expect(violated).toContain('<span class="ev-i">#99</span> <span class="muted">(event not captured');
    expect(violated).toMatch(/<strong>redelivered<\/strong> <span class="tag tag-info">info<\/span>/);
  });

  it('gives the reasons and the error of an undecided case', () => {
    const unknown = sectionOf(page, 'unknown-case');
    expect(unknown).toContain('Unknown: the checker could not decide.');
    // The error is listed once, in its own block, not again among the reasons.
    expect(unknown.split(`broker unreachable: ${HOSTILE_ESCAPED}`)).toHaveLength(2);
  });

  it('draws the timeline with crashes, retry intervals, workload and per-group counts', () => {
    const violated = sectionOf(page, `violated ${HOSTILE_ESCAPED}`);
    expect(violated).toMatch(/<div class="seg ph-load" style="left:8\.33%;width:33\.33%"/);
    expect(violated).toContain(
      `<div class="crash" style="left:33.33%" title="crash: consumer-0${HOSTILE_ESCAPED} at 4.000 ms">`,
    );
    // The second drain event (deadline reached) extends no span but is listed.
    expect(violated).toMatch(/<div class="seg ph-drain" style="left:50\.00%;width:25\.00%"/);
    expect(violated).toContain(
      '<td class="num">8.500 ms</td><td>cut off</td><td>drain (deadline reached)</td>',
    );
    expect(violated).toContain('<h3>Retry intervals</h3>');
    expect(violated).toContain('<h3>Fault coverage</h3>');
    expect(violated).toContain('<td class="num">2.5 s</td><td class="num">7</td>');
    expect(violated).toContain('1 fired, <strong>1 never fired</strong>');
    expect(violated).toContain('<td class="num">250</td><td class="num">240.5</td>');
    expect(violated).toContain(
      '<li>the first consumer of group 1 to reach its delivery 3 dies there, before-process</li>',
    );
    expect(violated).toContain('<th scope="row">poison</th><td>2, 5</td>');
    expect(violated).toContain('<h3>Counts per group</h3>');
    expect(sectionOf(page, 'memory/queue/steady#1')).not.toContain('Counts per group');
  });

  it('links each case to its history file with an escaped, relative href', () => {
    expect(page).toContain('<a href="histories/case.ndjson">histories/case.ndjson</a>');
    // The `/` inside `</script>` is a path separator; every other special character is encoded.
    const encoded = `histories/${encodeURIComponent('<script>alert(1)<')}/${encodeURIComponent(`script>"'&.ndjson`)}`;
    expect(encoded).not.toMatch(/[<>"]/);
    expect(page).toContain(`<a href="${escapeHtml(encoded)}">histories/${HOSTILE_ESCAPED}.ndjson</a>`);
  });

  it('lists skipped targets with their reasons', () => {
    const skipped = page.slice(page.indexOf('<section id="skipped">'));
    expect(skipped).toContain('<h2>Skipped (1)</h2>');
    expect(skipped).toContain(`<td>poison ${HOSTILE_ESCAPED}</td><td>needs a DLQ ${HOSTILE_ESCAPED}</td>`);
  });

  it('renders thousands of cases in linear time', () => {
    const cases = (n: number) =>
      Array.from({ length: n }, (_, k) =>
        k % 10 === 0 ? { ...violatedCase, id: `violated-${k}` } : baseCase({ id: `case-${k}` }),
      );
    // Linear, not fast: ten times the cases may take at most ~20 times as long (a quadratic
    // renderer would take 100 times), whatever the machine's load.
    const time = (n: number) => {
      const started = performance.now();
      const html = renderHtml({ ...result, cases: cases(n) });
      return { ms: performance.now() - started, html };
    };
    time(200); // warm up
    const small = time(500);
    const { ms, html: big } = time(5000);
    expect(ms).toBeLessThan(20 * small.ms + 500);
    expect(big.match(/<section class="case /g)).toHaveLength(5000);
    expect(big).toContain('id="case-case-4999"');
  });
});

describe('htmlReporter', () => {
  it('writes index.html into the report directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'brokerproof-html-'));
    try {
      const outDir = join(dir, 'report');
      await htmlReporter().onRunEnd?.(result, outDir);
      expect(await readFile(join(outDir, 'index.html'), 'utf8')).toBe(page);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('custom setups in the reports', () => {
  const custom = baseCase({
    id: 'custom-case',
    setup: 'orders-queue',
    setupExtends: 'rabbitmq/quorum',
    setupOptions: { prefetch: 200, queueArguments: { 'x-delivery-limit': 4, note: HOSTILE } },
    handler: './src/orders/handle-order.ts',
  });
  const withCustom: RunResult = { ...result, cases: [custom, validCase] };

  it('shows the resolved options, what the setup extends and the handler, escaped, beside the claim', () => {
    const section = sectionOf(renderHtml(withCustom), 'custom-case');
    expect(section).toContain(escapeHtml(JSON.stringify(custom.setupOptions)));
    expect(section).toContain('extends rabbitmq/quorum');
    expect(section).toContain('<code>./src/orders/handle-order.ts</code>');
    expect(section).not.toContain('<script>alert');
  });

  it('lists custom setups in summary.md, and only when there are some', () => {
    const md = renderMarkdown(withCustom);
    expect(md).toContain('### Custom setups');
    expect(md).toContain('orders-queue extends rabbitmq/quorum');
    expect(md).toContain('"x-delivery-limit":4');
    expect(renderMarkdown(result)).not.toContain('### Custom setups');
  });
});

describe('cluster faults on the timeline', () => {
  it('show the nodes hit and the leader before and after the heal', async () => {
    const { timeline } = await import('../../reports/html-timeline.ts');
    const span = {
      fault: 'isolate-leader',
      target: 'nats-cluster',
      nodes: ['n3'],
      startT: 1_000,
      stopT: 4_000,
    };
    const render = (extra: object) => String(timeline(baseCase({ faultTimeline: [{ ...span, ...extra }] })));
    expect(render({ leader: 'n3', leaderAfter: 'n1' })).toContain('[n3] (leader n3 → n1)');
    expect(render({ leader: 'n2', leaderAfter: 'n2' })).toContain('(leader stayed n2)');
    expect(render({})).not.toContain('(leader');
  });
});
