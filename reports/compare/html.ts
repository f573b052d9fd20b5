/**
 * compare/index.html: the matrix first (setups grouped by broker × scenario and fault set), then
 * load, latency and recovery per setup, then what each setup claims and on whose word. One
 * self-contained file: every value escaped, nothing loaded from the network.
 */
import { STYLE } from '../html-assets.ts';
import { anchorFor, type Html, html, plural, raw } from '../html-markup.ts';
import { formatMs } from '../plots.ts';
import { COMPARE_CSP, COMPARE_SCRIPT, COMPARE_STYLE } from './assets.ts';
import type { CompareModel, MatrixCell, SetupRow } from './model.ts';
import { latencyBySetupPlot, recoveryBySetupPlot } from './plots.ts';

export const setupAnchor = (key: string) => `setup-${anchorFor(key).slice('case-'.length)}`;

const SYMBOL = { held: '✓ held', violated: '✗', unknown: '? unknown', 'not-applicable': 'n/a' } as const;

function cell(c: MatrixCell | undefined): Html {
  if (!c || c.verdict === 'not-applicable')
    return html`<td class="cell cell-not-applicable" title="not applicable: no case of this setup ran here">n/a</td>`;
  const [first, ...rest] = c.cases;
  const label =
    c.verdict === 'violated'
      ? `✗ ${c.anomaly?.kind ?? 'violated'} ${c.anomaly?.count ?? ''}`.trim()
      : SYMBOL[c.verdict];
  const more = rest.length
    ? html`<span class="more">${rest.map((k, n) => html`<a href="${k.href}" title="${k.id}">${n + 2}</a>`)}</span>`
    : '';
  return html`<td class="cell cell-${c.verdict}" data-verdict="${c.verdict}"><a class="evidence" href="${first!.href}" title="${first!.id}">${label}</a>${more}${
    c.reason
      ? html`<span class="reason">${c.reason.length > 140 ? `${c.reason.slice(0, 140)}…` : c.reason}</span>`
      : ''
  }</td>`;
}

function rowClasses(row: SetupRow, columns: CompareModel['columns']): string {
  const verdicts = columns.map((col) => row.cells[col.key]?.verdict ?? 'not-applicable');
  const classes = ['setup-row'];
  if (verdicts.includes('violated')) classes.push('has-violated');
  if (verdicts.includes('unknown')) classes.push('has-unknown');
  if (verdicts.every((v) => v === 'held' || v === 'not-applicable')) classes.push('all-held');
  return classes.join(' ');
}

function matrix(model: CompareModel): Html {
  if (!model.setups.length) return html`<p class="muted">No case to compare.</p>`;
  const scenarios: { scenario: string; span: number }[] = [];
  for (const col of model.columns) {
    const last = scenarios.at(-1);
    if (last?.scenario === col.scenario) last.span++;
    else scenarios.push({ scenario: col.scenario, span: 1 });
  }
  const body: Html[] = [];
  let driver = '';
  for (const row of model.setups) {
    if (row.driver !== driver) {
      driver = row.driver;
      body.push(html`<tr class="driver"><th colspan="${model.columns.length + 1}">${driver}</th></tr>`);
    }
    body.push(html`<tr class="${rowClasses(row, model.columns)}" id="row-${setupAnchor(row.key)}">
<th class="setup" scope="row"><a href="#${setupAnchor(row.key)}">${row.setup}</a>${
      row.claimBasis === 'vendor'
        ? html` <span class="badge v-unknown" title="vendor's claim — tested, not endorsed">vendor</span>`
        : ''
    }</th>${model.columns.map((col) => cell(row.cells[col.key]))}</tr>`);
  }
  return html`<div class="scroll"><table class="matrix">
<thead><tr><th rowspan="2">setup</th>${scenarios.map((s) => html`<th colspan="${s.span}">${s.scenario}</th>`)}</tr>
<tr>${model.columns.map((col) => html`<th>${col.faults}</th>`)}</tr></thead>
<tbody>${body}</tbody></table></div>`;
}

const msOrDash = (v: number | null) => (v === null ? '–' : formatMs(v));

function statsTable(model: CompareModel): Html {
  const rows = model.setups.map((s) => {
    const r = s.stats.recovery;
    const l = s.stats.latencyMs;
    const never = (n: number) => (n ? html` <span class="muted">(${n} none after)</span>` : '');
    return html`<tr><th scope="row"><a href="#${setupAnchor(s.key)}">${s.key}</a></th><td class="num">${s.stats.cases}</td>
<td class="num">${s.stats.sendsPerSecond ?? '–'}</td><td class="num">${msOrDash(l.p50)}</td><td class="num">${msOrDash(l.p95)}</td><td class="num">${msOrDash(l.p99)}</td>
<td class="num">${r.faults}</td><td class="num">${msOrDash(r.sendOkMs.median)} / ${msOrDash(r.sendOkMs.max)}${never(r.sendOkMs.never)}</td>
<td class="num">${msOrDash(r.deliveryMs.median)} / ${msOrDash(r.deliveryMs.max)}${never(r.deliveryMs.never)}</td>
<td class="num">${r.longestNoSendMs ? formatMs(r.longestNoSendMs) : 'none'}</td><td class="num">${r.longestNoDeliveryMs ? formatMs(r.longestNoDeliveryMs) : 'none'}</td></tr>`;
  });
  return html`<div class="scroll"><table class="stats compact"><thead><tr><th>setup</th><th class="num">cases</th><th class="num">sends ok/s</th>
<th class="num">latency p50</th><th class="num">p95</th><th class="num">p99</th><th class="num">faults healed</th>
<th class="num">heal → first send ok (median / worst)</th><th class="num">heal → first delivery (median / worst)</th>
<th class="num">longest no-send window</th><th class="num">longest no-delivery window</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function basis(row: SetupRow): Html {
  return row.claimBasis === 'vendor'
    ? html`<strong>the vendor</strong> — tested, not endorsed${row.vendorClaim ? html`<br><span class="muted">${row.vendorClaim}</span>` : ''}`
    : html`the configuration: the mechanisms the setup turns on, as the broker documents them (brokerproof stands behind it)`;
}

function claimsTable(model: CompareModel): Html {
  const rows = model.setups.map(
    (s) =>
      html`<tr><th scope="row">${s.key}</th><td><ul class="plain">${s.claims.map(
        (c) => html`<li>${c.claim} <span class="muted">(${c.scenarios.join(', ')})</span></li>`,
      )}</ul></td><td>${basis(s)}</td></tr>`,
  );
  return html`<div class="scroll"><table class="claims"><thead><tr><th>setup</th><th>claims checked (scenarios)</th><th>on whose word</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function setupDetails(model: CompareModel): Html {
  return html`${model.setups.map(
    (
      s,
    ) => html`<details class="setup" id="${setupAnchor(s.key)}"><summary>${s.key} — ${plural(s.stats.cases, 'case')}</summary>
${s.description ? html`<p>${s.description}</p>` : ''}
<ul class="plain">${model.columns
      .filter((col) => s.cells[col.key] && s.cells[col.key]!.verdict !== 'not-applicable')
      .map((col) => {
        const c = s.cells[col.key]!;
        return html`<li>${col.key}: <strong>${c.verdict}</strong> — ${c.cases.map(
          (k, n) => html`${n ? ', ' : ''}<a class="evidence" href="${k.href}">${k.id}</a>`,
        )}</li>`;
      })}</ul></details>`,
  )}`;
}

function notRunSection(model: CompareModel): Html {
  if (!model.notRun.length) return html``;
  const rows = model.notRun.map(
    (n) =>
      html`<tr><td>${n.driver}</td><td>${n.setup}</td><td>${n.scenario}</td><td>${n.faults}</td><td>${n.reason}</td></tr>`,
  );
  return html`<section id="not-run"><h2>Not run (${model.notRun.length})</h2>
<div class="scroll"><table class="compact"><thead><tr><th>driver</th><th>setup</th><th>scenario</th><th>faults</th><th>why</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

export function renderCompareHtml(model: CompareModel): string {
  const t = model.totals;
  const word = t.violated ? 'violated' : t.unknown ? 'unknown' : 'holds';
  const latency = latencyBySetupPlot(model.setups);
  const recovery = recoveryBySetupPlot(model.setups);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${COMPARE_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>brokerproof comparison: ${plural(model.setups.length, 'setup')}</title>
<style>${raw(STYLE)}${raw(COMPARE_STYLE)}</style>
</head>
<body>
<header class="run v-${word}">
<p class="eyebrow">brokerproof comparison</p>
<h1>${plural(model.setups.length, 'setup')}, ${plural(model.columns.length, 'column')}</h1>
<p class="totals">cells: <strong>${t.held}</strong> held, <strong>${t.violated}</strong> violated, <strong>${t.unknown}</strong> unknown, ${t.notApplicable} not applicable${
    model.notRun.length ? html`; <a href="#not-run">${model.notRun.length} not run</a>` : ''
  }.</p>
<p class="muted">From ${model.runs.map((r, n) => html`${n ? ', ' : ''}<code>${r.dir}</code>`)}.</p>
</header>
<main>
<section id="matrix"><h2>Matrix</h2>
<div class="filter no-print" role="group" aria-label="Show setups">
<span>Show setups:</span>
<label><input type="radio" name="rows" id="rows-all" checked> all</label>
<label><input type="radio" name="rows" id="rows-violated"> with a violation</label>
<label><input type="radio" name="rows" id="rows-unknown"> with an unknown</label>
<label><input type="radio" name="rows" id="rows-held"> all held</label>
</div>
${matrix(model)}
<p class="muted">A cell links to its first case's evidence (further cases: 2, 3, …). ✗ names the forbidden anomaly with the most messages.</p>
</section>
<section id="performance"><h2>Load, latency and recovery per setup</h2>
${statsTable(model)}
<div class="plots">${latency ?? ''}${recovery ?? ''}</div>
</section>
<section id="claims"><h2>Claims</h2>
${claimsTable(model)}
</section>
<section id="setups"><h2>Setups</h2>
<div class="filter no-print"><button type="button" data-toggle-all="open" hidden>expand all</button>
<button type="button" data-toggle-all="close" hidden>collapse all</button></div>
${setupDetails(model)}
</section>
${notRunSection(model)}
</main>
<footer>Generated by brokerproof at ${model.generatedAt}. Self-contained: this page loads nothing from the network.</footer>
<script>${raw(COMPARE_SCRIPT)}</script>
</body>
</html>
`.text;
}
