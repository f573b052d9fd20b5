/** Anomalies and the history events that prove them, a bounded list per anomaly. */

import { type AnomalyKind, INFORMATIONAL_KINDS } from '../core/guarantee.ts';
import type { CaseResult } from '../runner/case.ts';
import { formatValue, type Html, html, microsToMs, plural, raw } from './html-markup.ts';
import { headAndTail } from './html-timeline.ts';

/** Anomaly kind blocks get their own anchors; `~` never occurs in case anchors, so these cannot collide. */
export const kindAnchor = (caseAnchor: string, kind: AnomalyKind) => `${caseAnchor}~${kind}`;

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

/** Evidence events shown per anomaly: the first and the last; the middle is counted (all are in the history). */
const EVIDENCE_HEAD = 12;
const EVIDENCE_TAIL = 4;

function evidenceList(
  indices: readonly number[],
  evidence: Record<number, Record<string, unknown> | undefined>,
): Html {
  const { head, hidden, tail } = headAndTail(indices, EVIDENCE_HEAD, EVIDENCE_TAIL);
  const gap = hidden
    ? html`<li class="elided muted">… ${plural(hidden, 'more event')} (indices in results.json, events in the history file)</li>`
    : '';
  return html`<ol class="events">${head.map((index) => eventLine(index, evidence[index]))}${gap}${tail.map((index) => eventLine(index, evidence[index]))}</ol>`;
}

export function anomalyExamples(c: CaseResult, anchor: string, forbidden: ReadonlySet<AnomalyKind>): Html {
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
${a.events.length ? evidenceList(a.events, evidence) : html`<p class="muted">no events recorded</p>`}</li>`,
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
