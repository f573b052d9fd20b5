import type { CaseResult } from '../runner/case.ts';
import { type Html, html } from './html-markup.ts';

const seconds = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);

/**
 * What the case's faults really did: each drawn fault (fired, failed, never started) with how long
 * it acted, each crash point with crashes fired and never fired, and the redeliveries after each.
 */
export function coverageSection(c: CaseResult): Html {
  const coverage = c.coverage;
  if (!coverage || (coverage.faults.length === 0 && coverage.crashes.length === 0)) {
    return html`<h3>Fault coverage</h3><p class="muted">No fault was drawn for this case.</p>`;
  }
  const faultRows = coverage.faults.map(
    (f) => html`<tr class="${f.status === 'fired' ? '' : 'bad'}"><td>${f.fault}</td><td>${f.target}</td>
<td>${f.status}${f.error ? html` <span class="muted">(${f.error})</span>` : ''}</td>
<td class="num">${seconds(f.durationMs)}</td><td class="num">${f.redeliveries}</td></tr>`,
  );
  const crashRows = coverage.crashes.map(
    (k) => html`<tr class="${k.cancelled > 0 ? 'bad' : ''}"><td>consumer crash</td><td>${k.point}</td>
<td>${k.fired} fired${k.cancelled ? html`, <strong>${k.cancelled} never fired</strong>` : ''}</td>
<td class="num">–</td><td class="num">${k.redeliveries}</td></tr>`,
  );
  return html`<h3>Fault coverage</h3>
<table class="compact"><thead><tr><th>fault</th><th>target / point</th><th>what happened</th>
<th class="num">acted for</th><th class="num">redeliveries after</th></tr></thead>
<tbody>${faultRows}${crashRows}</tbody></table>`;
}
