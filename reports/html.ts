/**
 * The self-contained HTML report: one file, no network, every shown value escaped. A reader goes
 * from the run's verdict to a case, to its anomalies, to the history events that prove them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COUNT_NAMES, type CountName, type Counts, type Validity } from '../checker/check.ts';
import {
  ANOMALY_KINDS,
  type AnomalyKind,
  describeClaim,
  forbiddenAnomalies,
  INFORMATIONAL_KINDS,
} from '../core/guarantee.ts';
import type { CaseResult } from '../runner/case.ts';
import { coverageLine, faultsNotDrawn } from '../runner/coverage.ts';
import type { RunResult } from '../runner/run-result.ts';
import { CSP, SCRIPT, STYLE } from './html-assets.ts';
import { coverageSection } from './html-coverage.ts';
import { anomalyExamples, kindAnchor } from './html-evidence.ts';
import { figuresSection } from './html-figures.ts';
import {
  anchorFor,
  formatDuration,
  formatValue,
  type Html,
  html,
  plural,
  prettyJson,
  raw,
  relativeHref,
  verdictBadge,
  verdictOf,
} from './html-markup.ts';
import { measurementsSection } from './html-measurements.ts';
import { timeline } from './html-timeline.ts';
import type { Reporter } from './reporter.ts';

export { escapeHtml, relativeHref } from './html-markup.ts';

export const HTML_FILE = 'index.html';

// ---------------------------------------------------------------------------------------------
// Page sections.

function runHeader(result: RunResult): Html {
  const tally = { holds: 0, violated: 0, unknown: 0 };
  for (const c of result.cases) tally[verdictOf(c.valid)]++;
  const word = verdictOf(result.valid);
  return html`<header class="run v-${word}">
<p class="eyebrow">brokerproof report</p>
<h1>${verdictBadge(result.valid)} <span class="headline">${headline(result.valid)}</span></h1>
<p class="totals">${plural(result.cases.length, 'case')}: <strong>${tally.holds}</strong> held,
<strong>${tally.violated}</strong> violated, <strong>${tally.unknown}</strong> unknown${
    result.skipped.length ? html`, <a href="#skipped">${result.skipped.length} skipped</a>` : ''
  }.</p>
${result.interrupted ? html`<p class="warning">⚠ The run was interrupted: not every case ran to the end.</p>` : ''}
<dl class="facts">
<div><dt>seed</dt><dd>${result.seed}</dd></div>
<div><dt>runs</dt><dd>${result.runs}</dd></div>
<div><dt>faults</dt><dd>${result.faults.length ? result.faults.join(', ') : 'none'}</dd></div>
<div><dt>fault coverage</dt><dd>${coverageLine(result.cases)}</dd></div>
<div><dt>duration</dt><dd>${formatDuration(result.durationMs)}</dd></div>
<div><dt>started</dt><dd>${result.startedAt}</dd></div>
<div><dt>finished</dt><dd>${result.finishedAt}</dd></div>
<div><dt>tool</dt><dd>${result.tool.name} ${result.tool.version}</dd></div>
</dl>
</header>`;
}

function headline(valid: Validity): string {
  if (valid === true) return 'Every claimed guarantee held.';
  if (valid === false) return 'A claimed guarantee was violated.';
  return 'Could not decide whether the claimed guarantees hold.';
}

/** CSS-only verdict filter (`:has`), so it works with scripts disabled. */
function filterBar(): Html {
  return html`<div class="filter no-print" role="group" aria-label="Show cases">
<span>Show:</span>
<label><input type="radio" name="show" id="show-all" checked> all</label>
<label><input type="radio" name="show" id="show-violated"> violated</label>
<label><input type="radio" name="show" id="show-unknown"> unknown</label>
<label><input type="radio" name="show" id="show-holds"> holds</label>
<button type="button" data-toggle-all="open" hidden>expand all</button>
<button type="button" data-toggle-all="close" hidden>collapse all</button>
</div>`;
}

/** Non-zero anomaly counts; forbidden ones stand out (bold and marked), informational ones say so. */
function findings(c: CaseResult, forbidden: ReadonlySet<AnomalyKind>): Html {
  const items: Html[] = [];
  for (const kind of ANOMALY_KINDS) {
    const n = c.counts[kind] ?? 0;
    if (!n) continue;
    if (forbidden.has(kind)) items.push(html`<strong class="bad">${kind} ${n} ✗</strong>`);
    else if (INFORMATIONAL_KINDS.has(kind)) items.push(html`<span class="info">${kind} ${n} (info)</span>`);
    else items.push(html`<span>${kind} ${n}</span>`);
  }
  if (c.error) items.push(html`<strong class="bad">error</strong>`);
  return items.length
    ? html`${items.map((item, k) => (k ? html`, ${item}` : item))}`
    : html`<span class="muted">none</span>`;
}

function caseTable(
  cases: readonly CaseResult[],
  anchors: readonly string[],
  forbidden: readonly ReadonlySet<AnomalyKind>[],
): Html {
  if (!cases.length) return html`<p class="muted">No cases ran.</p>`;
  const rows = cases.map(
    (c, k) => html`<tr class="row-${verdictOf(c.valid)}">
<td><a href="#${anchors[k]!}">${c.id}</a></td><td>${c.driver}</td><td>${c.setup}</td><td>${c.scenario}</td>
<td>${describeClaim(c.guarantee)}</td><td>${verdictBadge(c.valid)}</td>
<td class="num">${c.counts.attempted ?? 0}</td><td class="num">${c.counts.processed ?? 0}</td>
<td>${findings(c, forbidden[k]!)}</td><td class="num">${formatDuration(c.durationMs)}</td></tr>`,
  );
  return html`<div class="scroll"><table class="cases">
<thead><tr><th>case</th><th>driver</th><th>setup</th><th>scenario</th><th>claim</th><th>verdict</th>
<th class="num">sent</th><th class="num">processed</th><th>anomalies</th><th class="num">duration</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

function caseSection(
  c: CaseResult,
  anchor: string,
  forbidden: ReadonlySet<AnomalyKind>,
  options: { charts: boolean },
): Html {
  const word = verdictOf(c.valid);
  return html`<section class="case case-${word}" id="${anchor}" data-case-id="${c.id}">
<details class="case-details"${c.valid === false ? raw(' open') : ''}>
<summary>${verdictBadge(c.valid)} <span class="case-id">${c.id}</span>
<span class="muted">${c.driver} / ${c.setup} / ${c.scenario}</span></summary>
<div class="case-body">
${why(c, anchor, forbidden)}
${claimBlock(c, forbidden)}
<h3>Counts</h3>
${countsTable(c.counts, forbidden)}
${groupCounts(c, forbidden)}
${anomalyExamples(c, anchor, forbidden)}
${timeline(c)}
${figuresSection(c, options)}
${measurementsSection(c, options)}
${coverageSection(c)}
${retryIntervals(c)}
${workloadTable(c)}
${diagnostics(c)}
<p class="history">History: <a href="${relativeHref(c.history)}">${c.history}</a>
<span class="muted">(${plural(c.events, 'event')}, NDJSON)</span> · replay with seed <code>${c.seed}</code>, path <code>${c.path}</code></p>
<p class="no-print"><a href="#cases">↑ back to cases</a></p>
</div>
</details>
</section>`;
}

function why(c: CaseResult, anchor: string, forbidden: ReadonlySet<AnomalyKind>): Html {
  const parts: Html[] = [];
  if (c.valid === true) {
    parts.push(
      html`<p class="why">Holds: none of the ${forbidden.size} anomaly kinds this claim forbids occurred.</p>`,
    );
  } else if (c.valid === false) {
    const shown = new Set(c.anomalies.map((a) => a.kind));
    const found = c.violations.map(
      (kind) =>
        html`<li><strong>${kind}</strong>: ${plural(c.counts[kind] ?? 0, 'message')}${
          shown.has(kind) ? html` — <a href="#${kindAnchor(anchor, kind)}">evidence</a>` : ''
        }</li>`,
    );
    parts.push(
      html`<p class="why">Violated: the history shows anomalies the claim forbids.</p><ul class="violations">${found}</ul>`,
    );
  } else {
    // The runner also lists the error among the reasons; say it once, in the error block.
    const reasons = c.reasons.filter((r) => r !== c.error);
    parts.push(html`<p class="why">Unknown: the checker could not decide.</p>`);
    if (reasons.length) parts.push(html`<ul class="reasons">${reasons.map((r) => html`<li>${r}</li>`)}</ul>`);
    else if (!c.error) parts.push(html`<p class="muted">No reason was recorded.</p>`);
  }
  if (c.error) parts.push(html`<div class="error"><strong>Error</strong><pre>${c.error}</pre></div>`);
  return html`${parts}`;
}

function claimBlock(c: CaseResult, forbidden: ReadonlySet<AnomalyKind>): Html {
  const kinds = [...forbidden].map((kind) => html`<code>${kind}</code>`);
  const vendor =
    c.claimBasis === 'vendor'
      ? html` <span class="badge v-unknown">vendor's claim — tested, not endorsed</span>${
          c.vendorClaim ? html`<br><span class="muted">${c.vendorClaim}</span>` : ''
        }`
      : '';
  return html`<dl class="facts">
<div><dt>claim</dt><dd>${describeClaim(c.guarantee)}${vendor}</dd></div>
${c.setupDescription ? html`<div><dt>setup</dt><dd>${c.setupDescription}</dd></div>` : ''}
${c.setupOptions ? html`<div><dt>options</dt><dd><code>${JSON.stringify(c.setupOptions)}</code>${c.setupExtends ? html` <span class="muted">(custom setup, extends ${c.setupExtends})</span>` : ''}</dd></div>` : ''}
${c.handler ? html`<div><dt>handler</dt><dd><code>${c.handler}</code>${c.handlerStore ? html`<br><span class="muted">effects judged from the store: </span><code>${c.handlerStore.effects}</code>` : ''}</dd></div>` : ''}
<div><dt>forbids</dt><dd>${kinds.length ? kinds.map((k, n) => (n ? html` ${k}` : k)) : 'nothing'}</dd></div>
<div><dt>faults</dt><dd>${faultsFact(c)}</dd></div>
<div><dt>duration</dt><dd>${formatDuration(c.durationMs)}</dd></div>
</dl>`;
}

/** The faults the case had; those listed for the run but not drawn for this case are named apart. */
function faultsFact(c: CaseResult) {
  const notDrawn = faultsNotDrawn(c.faults, c.workload);
  const drawn = c.faults.filter((f) => !notDrawn.includes(f));
  return html`${drawn.length ? drawn.join(', ') : 'none'}${
    notDrawn.length
      ? html` <span class="muted">(listed, not drawn in this case: ${notDrawn.join(', ')})</span>`
      : ''
  }`;
}

type CountRole = 'forbidden' | 'info' | 'allowed' | 'total';

const ANOMALY_KIND_SET: ReadonlySet<string> = new Set(ANOMALY_KINDS);
/** Counts of messages (attempted, processed…) as opposed to anomaly kinds. */
const TOTAL_NAMES = COUNT_NAMES.filter((name) => !ANOMALY_KIND_SET.has(name));

function roleOf(name: CountName, forbidden: ReadonlySet<AnomalyKind>): CountRole {
  if (!ANOMALY_KIND_SET.has(name)) return 'total';
  const kind = name as AnomalyKind;
  return forbidden.has(kind) ? 'forbidden' : INFORMATIONAL_KINDS.has(kind) ? 'info' : 'allowed';
}

// Rows are kept lean (alignment comes from CSS): thousands of cases each carry these tables.
function countsTable(counts: Counts, forbidden: ReadonlySet<AnomalyKind>): Html {
  const anomalyRows = ANOMALY_KINDS.map((kind) => {
    const n = counts[kind] ?? 0;
    const role = roleOf(kind, forbidden);
    const bad = role === 'forbidden' && n > 0;
    return html`<tr class="${bad ? 'bad' : role}"><th>${kind}</th><td>${n}</td><td>${
      bad ? html`<strong>forbidden ✗</strong>` : role
    }</td></tr>`;
  });
  const totalRows = TOTAL_NAMES.map((name) => html`<tr><th>${name}</th><td>${counts[name] ?? 0}</td></tr>`);
  return html`<div class="counts-pair">
<table class="counts"><thead><tr><th>anomaly</th><th>messages</th><th>under this claim</th></tr></thead><tbody>${anomalyRows}</tbody></table>
<table class="counts"><thead><tr><th>total</th><th>value</th></tr></thead><tbody>${totalRows}</tbody></table>
</div>`;
}

function groupCounts(c: CaseResult, forbidden: ReadonlySet<AnomalyKind>): Html {
  const groups = Object.entries(c.groups);
  if (groups.length <= 1) return html``;
  const rows = COUNT_NAMES.map((name) => {
    const role = roleOf(name, forbidden);
    const cells = groups.map(([, g]) => {
      const n = g.counts[name] ?? 0;
      return html`<td class="num${role === 'forbidden' && n > 0 ? ' bad' : ''}">${n}</td>`;
    });
    return html`<tr><th scope="row">${name}${role === 'info' ? html` <span class="info">(info)</span>` : ''}</th>${cells}</tr>`;
  });
  return html`<h3>Counts per group</h3>
<div class="scroll"><table class="counts groups"><thead><tr><th>count</th>${groups.map(([name]) => html`<th class="num">${name}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

function retryIntervals(c: CaseResult): Html {
  if (!c.retryIntervals.length) return html``;
  const rows = c.retryIntervals.map(
    (r) =>
      html`<tr><td class="num">${r.afterDelivery}</td><td class="num">${r.samples}</td><td class="num">${
        r.intendedMs === undefined ? '—' : r.intendedMs
      }</td><td class="num">${r.minMs}</td><td class="num">${r.meanMs}</td><td class="num">${r.maxMs}</td></tr>`,
  );
  return html`<h3>Retry intervals</h3>
<table class="compact"><thead><tr><th class="num">after delivery</th><th class="num">samples</th><th class="num">intended ms</th>
<th class="num">min ms</th><th class="num">mean ms</th><th class="num">max ms</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function workloadTable(c: CaseResult): Html {
  const { crashes, ...rest } = c.workload;
  const rows = Object.entries(rest).map(
    ([key, value]) =>
      html`<tr><th scope="row">${key}</th><td>${
        Array.isArray(value)
          ? value.length
            ? value.map(formatValue).join(', ')
            : 'none'
          : formatValue(value)
      }</td></tr>`,
  );
  const crashList = (crashes ?? []).map(
    (k) =>
      html`<li>the first consumer of group ${formatValue(k.group)} to reach its delivery ${formatValue(k.atDelivery)} dies there, ${formatValue(k.point)}</li>`,
  );
  return html`<h3>Workload</h3>
<table class="compact kv"><tbody>${rows}
<tr><th scope="row">crashes</th><td>${crashList.length ? html`<ul class="plain">${crashList}</ul>` : 'none'}</td></tr>
</tbody></table>`;
}

function diagnostics(c: CaseResult): Html {
  if (!Object.keys(c.diagnostics).length) return html``;
  return html`<details class="diagnostics"><summary>Diagnostics</summary><pre>${prettyJson(c.diagnostics)}</pre></details>`;
}

function skippedSection(result: RunResult): Html {
  if (!result.skipped.length) return html``;
  const rows = result.skipped.map(
    (s) => html`<tr><td>${s.driver}</td><td>${s.setup}</td><td>${s.scenario}</td><td>${s.reason}</td></tr>`,
  );
  return html`<section id="skipped"><h2>Skipped (${result.skipped.length})</h2>
<table><thead><tr><th>driver</th><th>setup</th><th>scenario</th><th>reason</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

// ---------------------------------------------------------------------------------------------

/** Charts cost page weight: every case gets them up to a limit, then the cases that did not hold first. */
export const CHARTED_CASES = 150;

function chartedCases(cases: readonly CaseResult[]): ReadonlySet<CaseResult> {
  if (cases.length <= CHARTED_CASES) return new Set(cases);
  const first = [...cases.filter((c) => c.valid !== true), ...cases.filter((c) => c.valid === true)];
  return new Set(first.slice(0, CHARTED_CASES));
}

export function renderHtml(result: RunResult): string {
  // Anchors and claims are computed once per case and shared by the table and the sections.
  const used = new Set<string>();
  const anchors = result.cases.map((c) => {
    let anchor = anchorFor(c.id);
    // Case ids should be unique; if they are not, links must still land on the right section.
    for (let n = 2; used.has(anchor); n++) anchor = `${anchorFor(c.id)}.${n}`;
    used.add(anchor);
    return anchor;
  });
  const forbidden = result.cases.map((c) => new Set(forbiddenAnomalies(c.guarantee)));
  const charted = chartedCases(result.cases);
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>brokerproof: ${verdictOf(result.valid)} (${plural(result.cases.length, 'case')})</title>
<style>${raw(STYLE)}</style>
</head>
<body>
${runHeader(result)}
<main>
<section id="cases"><h2>Cases</h2>
${filterBar()}
${caseTable(result.cases, anchors, forbidden)}
</section>
${result.cases.length ? html`<h2>Case details</h2>` : ''}
${result.cases.map((c, k) => caseSection(c, anchors[k]!, forbidden[k]!, { charts: charted.has(c) }))}
${skippedSection(result)}
</main>
<footer>Generated by ${result.tool.name} ${result.tool.version} from results version ${result.version}. Self-contained: this page loads nothing from the network.</footer>
<script>${raw(SCRIPT)}</script>
</body>
</html>
`;
  return page.text;
}

/** Writes `index.html` into the report directory. */
export function htmlReporter(): Reporter {
  return {
    async onRunEnd(result, outDir) {
      await mkdir(outDir, { recursive: true });
      await writeFile(join(outDir, HTML_FILE), renderHtml(result), 'utf8');
    },
  };
}
