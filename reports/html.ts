/**
 * The self-contained HTML report: one file, no network, every shown value escaped. A reader goes
 * from the run's verdict to a case, to its anomalies, to the history events that prove them.
 */
import { createHash } from 'node:crypto';
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
import type { RunResult } from '../runner/run-result.ts';
import type { Reporter } from './reporter.ts';

export const HTML_FILE = 'index.html';

// ---------------------------------------------------------------------------------------------
// Escaping. All markup goes through the `html` tag: interpolated values are escaped unless they
// are already `Html`, so data can only become markup by passing through `escapeHtml`.

/** Markup that is already safe to emit. Only `html` and `raw` create it. */
class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** The one escaping function: safe in text and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function interpolate(value: Interpolation): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(interpolate).join('');
  return escapeHtml(String(value));
}

function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0]!;
  for (let k = 0; k < values.length; k++) out += interpolate(values[k]!) + strings[k + 1]!;
  return new Html(out);
}

/** For constants of this module only (stylesheet, script); never for data. */
const raw = (constant: string) => new Html(constant);

// ---------------------------------------------------------------------------------------------
// Attribute values derived from data.

/**
 * Fragment ids from case ids, kept readable and stable across runs. Every character outside
 * [A-Za-z0-9-] (including `_`) becomes `_<hex>_`, so distinct case ids give distinct anchors.
 */
function anchorFor(caseId: string): string {
  return `case-${caseId.replace(/[^A-Za-z0-9-]/gu, (c) => `_${c.codePointAt(0)!.toString(16)}_`)}`;
}

/**
 * A relative href for a file path: each segment percent-encoded, so a path can never become a
 * scheme (`javascript:`) or a network location (`//host`).
 */
export function relativeHref(path: string): string {
  const segments = path
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .map(encodeURIComponent);
  return segments.join('/') || '.';
}

// ---------------------------------------------------------------------------------------------
// Small formatting helpers.

type VerdictWord = 'holds' | 'violated' | 'unknown';

function verdictOf(valid: Validity): VerdictWord {
  return valid === true ? 'holds' : valid === false ? 'violated' : 'unknown';
}

const VERDICT_SYMBOL: Readonly<Record<VerdictWord, string>> = { holds: '✓', violated: '✗', unknown: '?' };

function verdictBadge(valid: Validity): Html {
  const word = verdictOf(valid);
  return html`<span class="badge v-${word}">${VERDICT_SYMBOL[word]} ${word}</span>`;
}

function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

/** History times are microseconds; people read milliseconds. */
function microsToMs(t: number): string {
  return `${(t / 1000).toFixed(3)} ms`;
}

/** A value as a reader wants to see it: plain words bare, anything else as JSON. */
function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[\w.:@/+-]+$/u.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

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

function caseSection(c: CaseResult, anchor: string, forbidden: ReadonlySet<AnomalyKind>): Html {
  const word = verdictOf(c.valid);
  return html`<section class="case case-${word}" id="${anchor}">
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

/** Anomaly kind blocks get their own anchors; `~` never occurs in case anchors, so these cannot collide. */
const kindAnchor = (caseAnchor: string, kind: AnomalyKind) => `${caseAnchor}~${kind}`;

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
  return html`<dl class="facts">
<div><dt>claim</dt><dd>${describeClaim(c.guarantee)}</dd></div>
<div><dt>forbids</dt><dd>${kinds.length ? kinds.map((k, n) => (n ? html` ${k}` : k)) : 'nothing'}</dd></div>
<div><dt>faults</dt><dd>${c.faults.length ? c.faults.join(', ') : 'none'}</dd></div>
<div><dt>duration</dt><dd>${formatDuration(c.durationMs)}</dd></div>
</dl>`;
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

/** One evidence event as a compact line: i, t, p, type, f, id, then whatever else it carries. */
function eventLine(index: number, event: Record<string, unknown> | undefined): Html {
  if (!event)
    return html`<li><code><span class="ev-i">#${index}</span> <span class="muted">(event not captured in the results)</span></code></li>`;
  const { i, t, p, type, f, id, ...rest } = event;
  const extra = Object.entries(rest).map(
    ([key, value]) => html` <span class="ev-k">${key}=</span>${formatValue(value)}`,
  );
  return html`<li><code><span class="ev-i">#${formatValue(i ?? index)}</span> <span class="ev-t">${
    typeof t === 'number' ? microsToMs(t) : formatValue(t)
  }</span> ${formatValue(p)} <span class="ev-type">${formatValue(type)}</span> <strong>${formatValue(f)}</strong>${
    id === undefined ? '' : html` <span class="ev-k">id=</span>${formatValue(id)}`
  }${extra}</code></li>`;
}

function anomalyExamples(c: CaseResult, anchor: string, forbidden: ReadonlySet<AnomalyKind>): Html {
  if (!c.anomalies.length) return html``;
  const byKind = new Map<AnomalyKind, CaseResult['anomalies']>();
  for (const a of c.anomalies) {
    const list = byKind.get(a.kind);
    if (list) list.push(a);
    else byKind.set(a.kind, [a]);
  }
  const evidence = c.evidence as Record<number, Record<string, unknown> | undefined>;
  // Forbidden kinds first: they are why the case failed.
  const kinds = [...byKind.keys()].sort((a, b) => Number(forbidden.has(b)) - Number(forbidden.has(a)));
  const blocks = kinds.map((kind) => {
    const examples = byKind.get(kind)!;
    const total = c.counts[kind] ?? examples.length;
    const role = forbidden.has(kind) ? 'forbidden' : INFORMATIONAL_KINDS.has(kind) ? 'info' : 'allowed';
    const items = examples.map(
      (
        a,
      ) => html`<li class="anomaly"><p><strong>${a.kind}</strong> message <code>${a.id}</code> in group <code>${a.group}</code>${
        a.detail ? html` — ${a.detail}` : ''
      }</p>
${a.events.length ? html`<ol class="events">${a.events.map((index) => eventLine(index, evidence[index]))}</ol>` : html`<p class="muted">no events recorded</p>`}</li>`,
    );
    return html`<details class="kind kind-${role}" id="${kindAnchor(anchor, kind)}"${role === 'forbidden' ? raw(' open') : ''}>
<summary><strong>${kind}</strong> <span class="tag tag-${role}">${role}</span> — ${plural(total, 'message')}${
      total > examples.length ? html`, ${examples.length} shown` : ''
    }</summary>
<ul class="anomalies">${items}</ul>
</details>`;
  });
  return html`<h3>Anomalies and their evidence</h3>${blocks}`;
}

const KNOWN_PHASES: ReadonlySet<string> = new Set(['setup', 'load', 'heal', 'drain', 'check', 'teardown']);

function timeline(c: CaseResult): Html {
  const faults = c.faultTimeline ?? [];
  if (!c.phases.length && !c.crashes.length && !faults.length) return html``;
  // The runner writes a second `drain` event, with `cutOff`, when the drain deadline cut the drain
  // short: one span, plus a marker for the cut.
  const spans: CaseResult['phases'] = [];
  const repeats: CaseResult['phases'] = [];
  for (const p of c.phases) (spans.at(-1)?.phase === p.phase ? repeats : spans).push(p);
  const lastT = Math.max(
    0,
    ...c.phases.map((p) => p.t),
    ...c.crashes.map((k) => k.t),
    ...faults.map((f) => f.stopT ?? f.startT),
  );
  const end = Math.max(lastT, c.durationMs * 1000, 1);
  const pct = (t: number) => Math.min(100, Math.max(0, (t / end) * 100)).toFixed(2);
  const segments = spans.map((s, k) => {
    const until = spans[k + 1]?.t ?? end;
    const phaseClass = KNOWN_PHASES.has(s.phase) ? s.phase : 'other';
    return html`<div class="seg ph-${phaseClass}" style="left:${pct(s.t)}%;width:${pct(until - s.t)}%" title="${s.phase} from ${microsToMs(s.t)}">${s.phase}</div>`;
  });
  const markers = c.crashes.map(
    (k) =>
      html`<div class="crash" style="left:${pct(k.t)}%" title="crash: ${k.target} at ${microsToMs(k.t)}">✕</div>`,
  );
  const faultBars = faults.map(
    (f) =>
      html`<div class="fault" style="left:${pct(f.startT)}%;width:${pct((f.stopT ?? end) - f.startT)}%" title="${f.fault} on ${f.target} from ${microsToMs(f.startT)}"></div>`,
  );
  const rows = [
    ...spans.map((s, k) => ({
      t: s.t,
      row: html`<tr><td class="num">${microsToMs(s.t)}</td><td>phase</td><td>${s.phase}</td><td class="num">${microsToMs((spans[k + 1]?.t ?? end) - s.t)}</td></tr>`,
    })),
    ...repeats.map((r) => ({
      t: r.t,
      row: html`<tr><td class="num">${microsToMs(r.t)}</td><td>${r.cutOff ? 'cut off' : 'again'}</td><td>${r.phase}${
        r.cutOff ? ' (deadline reached)' : ''
      }</td><td></td></tr>`,
    })),
    ...faults.map((f) => ({
      t: f.startT,
      row: html`<tr class="fault-row"><td class="num">${microsToMs(f.startT)}</td><td><strong>${f.error ? 'fault failed' : 'fault'}</strong></td><td>${f.fault} on ${f.target}${f.params ? ` ${JSON.stringify(f.params)}` : ''}${f.error ? ` — ${f.error}` : ''}</td><td class="num">${f.stopT !== undefined ? microsToMs(f.stopT - f.startT) : ''}</td></tr>`,
    })),
    ...c.crashes.map((k) => ({
      t: k.t,
      row: html`<tr class="crash-row"><td class="num">${microsToMs(k.t)}</td><td><strong>crash ✕</strong></td><td>${k.target}</td><td></td></tr>`,
    })),
  ].sort((a, b) => a.t - b.t);
  return html`<h3>Timeline</h3>
<div class="timeline" aria-hidden="true">${segments}${faultBars}${markers}</div>
<table class="compact"><thead><tr><th class="num">at</th><th>what</th><th>phase / target</th><th class="num">lasted</th></tr></thead>
<tbody>${rows.map((r) => r.row)}</tbody></table>`;
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
      html`<li>consumer ${formatValue(k.consumer)} of group ${formatValue(k.group)} dies at its delivery ${formatValue(k.atDelivery)}, ${formatValue(k.point)}</li>`,
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
// Constants: stylesheet and the small progressive-enhancement script.

const STYLE = `
:root{--fg:#1d2330;--muted:#5f6b7a;--line:#d9dee5;--bg:#fff;--soft:#f5f7fa;
--ok:#1a7f37;--ok-bg:#e6f4ea;--bad:#b42318;--bad-bg:#fdecea;--unk:#8a5a00;--unk-bg:#fff4d6;--info:#1f5fa8}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:24px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
code,pre,.events{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:13px}
pre{background:var(--soft);padding:10px;border-radius:4px;overflow:auto;white-space:pre-wrap;word-break:break-word}
h1{font-size:26px;margin:4px 0 8px}h2{font-size:20px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
a{color:#0b57d0}
.eyebrow{margin:0;color:var(--muted);font-size:13px;text-transform:uppercase;letter-spacing:.08em}
.run{border-left:6px solid var(--line);padding:8px 16px;margin-bottom:16px}
.run.v-holds{border-color:var(--ok)}.run.v-violated{border-color:var(--bad)}.run.v-unknown{border-color:var(--unk)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:.85em;white-space:nowrap;border:1px solid currentColor}
.badge.v-holds{color:var(--ok);background:var(--ok-bg)}
.badge.v-violated{color:var(--bad);background:var(--bad-bg)}.badge.v-unknown{color:var(--unk);background:var(--unk-bg)}
h1 .badge{font-size:20px;vertical-align:middle}
.warning{color:var(--unk);font-weight:600}
.muted{color:var(--muted)}.info{color:var(--info)}.bad,strong.bad{color:var(--bad)}
.facts{display:flex;flex-wrap:wrap;gap:4px 24px;margin:8px 0}.facts div{display:flex;gap:6px}
.facts dt{color:var(--muted)}.facts dd{margin:0}.facts code{margin-right:4px}
table{border-collapse:collapse;margin:6px 0;font-size:14px}
th,td{text-align:left;padding:4px 10px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:var(--soft);font-weight:600;white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.scroll{overflow-x:auto}
table.cases{width:100%}table.cases tbody tr:hover{background:var(--soft)}
tr.row-violated td:first-child{box-shadow:inset 4px 0 var(--bad)}tr.row-unknown td:first-child{box-shadow:inset 4px 0 var(--unk)}
table.compact{font-size:13px}
.counts-pair{display:flex;flex-wrap:wrap;gap:0 24px;align-items:flex-start}
.counts td:nth-child(2),.counts thead th:nth-child(2){text-align:right;font-variant-numeric:tabular-nums}
.counts tbody th{font-weight:400}.counts tr.bad{background:var(--bad-bg)}.counts tr.bad th{font-weight:700}
.counts tr.allowed td:last-child{color:var(--muted)}.counts tr.info th,.counts tr.info td{color:var(--info)}
.counts td.bad{background:var(--bad-bg);font-weight:700}
.filter{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:8px 0;font-size:14px}
.filter button{font:inherit;padding:2px 10px}
body:has(#show-violated:checked) :is(tr.row-holds,tr.row-unknown,section.case-holds,section.case-unknown),
body:has(#show-unknown:checked) :is(tr.row-holds,tr.row-violated,section.case-holds,section.case-violated),
body:has(#show-holds:checked) :is(tr.row-violated,tr.row-unknown,section.case-violated,section.case-unknown){display:none}
section.case{border:1px solid var(--line);border-radius:6px;margin:8px 0}
section.case-violated{border-left:6px solid var(--bad)}section.case-unknown{border-left:6px solid var(--unk)}section.case-holds{border-left:6px solid var(--ok)}
section.case>details>summary{padding:8px 12px;cursor:pointer;display:flex;flex-wrap:wrap;gap:10px;align-items:baseline}
.case-id{font-weight:600;word-break:break-all}
.case-body{padding:0 16px 12px}
.why{font-weight:600;margin:8px 0 4px}
.error{border:1px solid var(--bad);border-radius:4px;padding:6px 10px;margin:8px 0;background:var(--bad-bg)}.error pre{background:#fff;margin:4px 0 0}
details.kind{margin:6px 0;border:1px solid var(--line);border-radius:4px;padding:4px 10px}
details.kind>summary{cursor:pointer}
.tag{font-size:12px;padding:0 6px;border-radius:8px;border:1px solid currentColor}
.tag-forbidden{color:var(--bad)}.tag-info{color:var(--info)}.tag-allowed{color:var(--muted)}
ul.anomalies{list-style:none;padding:0;margin:4px 0}
li.anomaly{border-top:1px dashed var(--line);padding:4px 0}li.anomaly p{margin:2px 0}
ol.events{list-style:none;margin:2px 0 6px;padding:4px 8px;background:var(--soft);border-radius:4px}
ol.events li{white-space:pre-wrap;word-break:break-word}
.ev-i{color:var(--muted)}.ev-t{color:var(--muted)}.ev-k{color:var(--muted)}.ev-type{font-style:italic}
.timeline{position:relative;height:26px;background:var(--soft);border:1px solid var(--line);border-radius:4px;margin:6px 0;overflow:hidden}
.timeline .seg{position:absolute;top:0;bottom:0;font-size:11px;line-height:26px;padding-left:3px;overflow:hidden;white-space:nowrap;border-right:1px solid #fff;color:#102a43}
.ph-setup,.ph-teardown{background:#dfe3e8}.ph-load{background:#b9d4f5}.ph-heal{background:#bfe6c8}
.ph-drain{background:#b8e3e0}.ph-check{background:#d9cdf2}.ph-other{background:#eee}
.timeline .fault{position:absolute;bottom:0;height:7px;background:var(--bad);opacity:.55}
tr.fault-row td{color:#8a4b08}
.timeline .crash{position:absolute;top:0;bottom:0;width:0;border-left:2px solid var(--bad);color:var(--bad);font-weight:700;font-size:12px;line-height:26px;padding-left:2px}
tr.crash-row td{color:var(--bad)}
ul.plain{margin:0;padding-left:18px}
.history{margin-top:16px}
footer{margin-top:40px;color:var(--muted);font-size:13px}
@media print{
body{max-width:none;padding:0;font-size:11pt}
.no-print{display:none!important}
section.case{break-inside:avoid-page}
a{color:inherit;text-decoration:none}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;

// Buttons stay hidden without scripts; `<details>` still works by hand.
const SCRIPT = `
for (const button of document.querySelectorAll('[data-toggle-all]')) {
  button.hidden = false;
  button.addEventListener('click', () => {
    const open = button.dataset.toggleAll === 'open';
    for (const d of document.querySelectorAll('details.case-details')) d.open = open;
  });
}
function openTarget() {
  const target = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
  if (!target) return;
  const details = target.querySelector('details.case-details') || target.closest('details.case-details');
  if (details) details.open = true;
  if (target.tagName === 'DETAILS') target.open = true;
  target.scrollIntoView();
}
window.addEventListener('hashchange', openTarget);
openTarget();
`;

// A hash instead of 'unsafe-inline' for scripts: only this exact script may run.
const SCRIPT_HASH = `sha256-${createHash('sha256').update(SCRIPT).digest('base64')}`;
const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src '${SCRIPT_HASH}'; base-uri 'none'; form-action 'none'`;

// ---------------------------------------------------------------------------------------------

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
${result.cases.map((c, k) => caseSection(c, anchors[k]!, forbidden[k]!))}
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
