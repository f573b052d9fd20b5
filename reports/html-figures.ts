/** A case's figures in the HTML report: load and latency charts, recovery after faults, unavailability. */
import type { CaseResult } from '../runner/case.ts';
import { figuresOf } from './figures/read.ts';
import type { CaseFigures, UnavailabilityWindow } from './figures/types.ts';
import { type Html, html } from './html-markup.ts';
import { availabilityPlot, formatMs, latencyPlot, throughputPlot } from './plots.ts';

/** Rows shown per table; the rest are counted (results.json has all of them). */
export const TABLE_ROWS = 25;

const ms = (value: number | null, none: string) => (value === null ? none : formatMs(value));

export function figuresSection(c: CaseResult, options: { charts: boolean }): Html {
  const figures = figuresOf(c);
  if (!figures) {
    return html`<h3>Load, latency and recovery</h3><p class="muted">No figures: the history file was not readable when the report was rendered.</p>`;
  }
  const faulty =
    figures.faults.some((f) => f.kind === 'fault') ||
    figures.unavailability.sends.length + figures.unavailability.deliveries.length > 0;
  const charts = options.charts
    ? html`${throughputPlot(figures)}${figures.latency.count ? latencyPlot(figures) : html`<p class="muted">No message was processed: no latency to plot.</p>`}${
        faulty ? availabilityPlot(figures) : ''
      }`
    : html`<p class="muted">Charts left out: this report has many cases (figures below; every chart is in a report of fewer cases).</p>`;
  return html`<h3>Load and latency</h3>
<div class="plots">${charts}</div>
${latencyFacts(figures)}
${recoveryTable(figures)}
${unavailabilityTable(figures)}`;
}

function latencyFacts(f: CaseFigures): Html {
  const l = f.latency;
  const loadS = f.load ? (f.load.toMs - f.load.fromMs) / 1000 : 0;
  const rate = loadS > 0 ? `${Math.round(f.totals.sendOk / loadS)} sends ok/s over the load phase` : '–';
  return html`<dl class="facts figures-facts">
<div><dt>sends</dt><dd>${f.totals.sendOk} ok, ${f.totals.sendInfo} unknown, ${f.totals.sendFail} failed</dd></div>
<div><dt>deliveries</dt><dd>${f.totals.deliveries}</dd></div>
<div><dt>throughput</dt><dd>${rate}</dd></div>
<div><dt>latency</dt><dd>${
    l.count
      ? `p50 ${ms(l.p50, '–')}, p95 ${ms(l.p95, '–')}, p99 ${ms(l.p99, '–')}, max ${ms(l.max, '–')} (${l.count} messages)`
      : 'none processed'
  }</dd></div>
</dl>`;
}

function recoveryTable(f: CaseFigures): Html {
  if (!f.faults.length) return html``;
  const rows = f.faults.slice(0, TABLE_ROWS).map(
    (r) => html`<tr><td>${r.label}</td><td class="num">${formatMs(r.startMs)}</td>
<td class="num">${ms(r.healedAtMs, 'never')}</td>
<td class="num">${ms(r.firstSendOkAfterMs, 'none after')}</td>
<td class="num">${ms(r.firstDeliveryAfterMs, 'none after')}</td></tr>`,
  );
  const more = f.faults.length - rows.length;
  return html`<h3>Recovery after faults</h3>
<table class="compact recovery"><thead><tr><th>fault</th><th class="num">at</th><th class="num">healed at</th>
<th class="num">first send ok after heal</th><th class="num">first delivery after heal</th></tr></thead>
<tbody>${rows}</tbody></table>${more > 0 ? html`<p class="muted">${more} more in results.json.</p>` : ''}`;
}

function windowRows(kind: string, windows: readonly UnavailabilityWindow[]): Html[] {
  return windows.map(
    (
      w,
    ) => html`<tr><td>${kind}</td><td class="num">${formatMs(w.fromMs)}</td><td class="num">${formatMs(w.toMs)}</td>
<td class="num">${formatMs(w.durationMs)}${w.open ? ' (never closed)' : ''}</td></tr>`,
  );
}

function unavailabilityTable(f: CaseFigures): Html {
  const u = f.unavailability;
  const rows = [...windowRows('no successful send', u.sends), ...windowRows('no delivery', u.deliveries)];
  const rule = `a gap of at least ${formatMs(u.thresholdMs.sends)} (sends) / ${formatMs(u.thresholdMs.deliveries)} (deliveries) while something waited`;
  if (!rows.length) return html`<p class="muted">Unavailability: none (${rule}).</p>`;
  return html`<h3>Unavailability windows</h3>
<p class="muted">${rule}.</p>
<table class="compact unavailability"><thead><tr><th>what</th><th class="num">from</th><th class="num">to</th><th class="num">lasted</th></tr></thead>
<tbody>${rows.slice(0, TABLE_ROWS)}</tbody></table>${
    rows.length > TABLE_ROWS
      ? html`<p class="muted">${rows.length - TABLE_ROWS} more in results.json.</p>`
      : ''
  }`;
}
