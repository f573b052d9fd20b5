/** The case timeline: phases, faults and crashes as a bar and a table, sampled for long histories. */
import type { CaseResult } from '../runner/case.ts';
import { type Html, html, microsToMs } from './html-markup.ts';

/** Crash and fault marks drawn on the bar at most; more are sampled evenly. */
const MAX_MARKERS = 200;
/** Timeline table rows shown: the first and the last; the middle is counted. */
const TIMELINE_HEAD = 40;
const TIMELINE_TAIL = 10;

/** At most `limit` elements, evenly spread, first and last kept. */
export function evenly<T>(list: readonly T[], limit: number): readonly T[] {
  if (list.length <= limit) return list;
  const step = (list.length - 1) / (limit - 1);
  return Array.from({ length: limit }, (_, k) => list[Math.round(k * step)]!);
}

/** The first `head` and last `tail` elements, and how many lie between. */
export function headAndTail<T>(list: readonly T[], head: number, tail: number) {
  if (list.length <= head + tail) return { head: list, hidden: 0, tail: [] as readonly T[] };
  return { head: list.slice(0, head), hidden: list.length - head - tail, tail: list.slice(-tail) };
}

const KNOWN_PHASES: ReadonlySet<string> = new Set(['setup', 'load', 'heal', 'drain', 'check', 'teardown']);

export function timeline(c: CaseResult): Html {
  const faults = c.faultTimeline ?? [];
  if (!c.phases.length && !c.crashes.length && !faults.length) return html``;
  // The runner writes a second `drain` event, with `cutOff`, when the drain deadline cut the drain
  // short: one span, plus a marker for the cut.
  const spans: CaseResult['phases'] = [];
  const repeats: CaseResult['phases'] = [];
  for (const p of c.phases) (spans.at(-1)?.phase === p.phase ? repeats : spans).push(p);
  // No spread: a long case can have more crashes than a call takes arguments.
  let lastT = 0;
  for (const p of c.phases) lastT = Math.max(lastT, p.t);
  for (const k of c.crashes) lastT = Math.max(lastT, k.t);
  for (const f of faults) lastT = Math.max(lastT, f.stopT ?? f.startT);
  const end = Math.max(lastT, c.durationMs * 1000, 1);
  const pct = (t: number) => Math.min(100, Math.max(0, (t / end) * 100)).toFixed(2);
  const segments = spans.map((s, k) => {
    const until = spans[k + 1]?.t ?? end;
    const phaseClass = KNOWN_PHASES.has(s.phase) ? s.phase : 'other';
    return html`<div class="seg ph-${phaseClass}" style="left:${pct(s.t)}%;width:${pct(until - s.t)}%" title="${s.phase} from ${microsToMs(s.t)}">${s.phase}</div>`;
  });
  const markers = evenly(c.crashes, MAX_MARKERS).map(
    (k) =>
      html`<div class="crash" style="left:${pct(k.t)}%" title="crash: ${k.target} at ${microsToMs(k.t)}">✕</div>`,
  );
  const faultBars = evenly(faults, MAX_MARKERS).map(
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
      row: html`<tr class="fault-row"><td class="num">${microsToMs(f.startT)}</td><td><strong>${f.error ? 'fault failed' : 'fault'}</strong></td><td>${f.fault} on ${f.target}${f.nodes ? ` [${f.nodes.join(',')}]` : ''}${leaderNote(f.leader, f.leaderAfter)}${f.params ? ` ${JSON.stringify(f.params)}` : ''}${f.error ? ` — ${f.error}` : ''}</td><td class="num">${f.stopT !== undefined ? microsToMs(f.stopT - f.startT) : ''}</td></tr>`,
    })),
    ...c.crashes.map((k) => ({
      t: k.t,
      row: html`<tr class="crash-row"><td class="num">${microsToMs(k.t)}</td><td><strong>crash ✕</strong></td><td>${k.target}</td><td></td></tr>`,
    })),
  ].sort((a, b) => a.t - b.t);
  const { head, hidden, tail } = headAndTail(rows, TIMELINE_HEAD, TIMELINE_TAIL);
  const gap = hidden
    ? html`<tr class="elided"><td></td><td colspan="3" class="muted">… ${hidden} more rows not shown (every event is in the history file)</td></tr>`
    : '';
  return html`<h3>Timeline</h3>
<div class="timeline" aria-hidden="true">${segments}${faultBars}${markers}</div>
<table class="compact"><thead><tr><th class="num">at</th><th>what</th><th>phase / target</th><th class="num">lasted</th></tr></thead>
<tbody>${head.map((r) => r.row)}${gap}${tail.map((r) => r.row)}</tbody></table>`;
}

/** What a cluster fault did to the leader: `(leader n3 → n1)`, `(leader stayed n2)`. */
function leaderNote(before: string | undefined, after: string | undefined): string {
  if (!before && !after) return '';
  if (before && after)
    return before === after ? ` (leader stayed ${before})` : ` (leader ${before} → ${after})`;
  return before ? ` (leader was ${before})` : ` (leader after the heal: ${after})`;
}
