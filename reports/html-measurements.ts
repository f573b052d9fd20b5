/** A case's measurements in the HTML report: one table each (and a chart of stale-read lag). */
import type { CaseResult } from '../runner/case.ts';
import { type Html, html } from './html-markup.ts';
import { measurementTables } from './measurements.ts';
import { distributionPlot } from './plots.ts';

export function measurementsSection(c: CaseResult, options: { charts: boolean }): Html {
  const tables = measurementTables(c.measurements);
  if (!tables.length) return html``;
  const blocks = tables.map(
    (t) => html`<div class="measurement" data-measurement="${t.key}"><h4>${t.title}</h4>
<div class="scroll"><table class="compact"><thead><tr>${t.headers.map((h) => html`<th>${h}</th>`)}</tr></thead>
<tbody>${t.rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody></table></div>
${t.lag && t.lag.max > 0 && options.charts ? distributionPlot(t.lag, t.lag.bound, 'stale-read lag p50, p95, p99 and max') : ''}</div>`,
  );
  return html`<h3>Measurements</h3>${blocks}`;
}
