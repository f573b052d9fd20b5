/** summary.md sections for figures (recovery, unavailability, latency) and measurements. */
import type { CaseResult } from '../runner/case.ts';
import { figuresOf } from './figures/read.ts';
import { measurementTables } from './measurements.ts';
import { formatMs } from './plots.ts';

// Markdown tables break on pipes and newlines; HTML inside would render in GitHub summaries.
export const cell = (text: string) =>
  text
    .replace(/[\\|*_`[\]<>]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`))
    .replace(/\r?\n/g, ' ');

const maxOf = (values: (number | null)[]) => {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? formatMs(Math.max(...known)) : '–';
};

/** One row per case: throughput, latency, faults, worst recovery, unavailability. */
export function figuresLines(cases: readonly CaseResult[]): string[] {
  const rows = cases.flatMap((c) => {
    const f = figuresOf(c);
    if (!f) return [];
    const l = f.latency;
    const healed = f.faults.filter((x) => x.healedAtMs !== null);
    const never = (key: 'firstSendOkAfterMs' | 'firstDeliveryAfterMs') =>
      healed.filter((x) => x[key] === null).length;
    const u = f.unavailability;
    const windows = (list: typeof u.sends, longest: number) =>
      list.length
        ? `${list.length} (longest ${formatMs(longest)}${list.some((w) => w.open) ? ', one never closed' : ''})`
        : '0';
    return [
      `| ${cell(c.id)} | ${f.totals.sendOk} ok / ${f.totals.sendInfo} info / ${f.totals.sendFail} fail | ${
        l.count ? `${formatMs(l.p50!)} / ${formatMs(l.p95!)} / ${formatMs(l.p99!)}` : '–'
      } | ${f.faults.length} | ${maxOf(healed.map((x) => x.firstSendOkAfterMs))}${never('firstSendOkAfterMs') ? ` (${never('firstSendOkAfterMs')} none after)` : ''} | ${maxOf(healed.map((x) => x.firstDeliveryAfterMs))}${never('firstDeliveryAfterMs') ? ` (${never('firstDeliveryAfterMs')} none after)` : ''} | ${windows(u.sends, u.longestSendGapMs)} | ${windows(u.deliveries, u.longestDeliveryGapMs)} |`,
    ];
  });
  if (!rows.length) return [];
  return [
    '',
    '### Load, latency and recovery',
    '',
    'Latency: send invoke → first process. Recovery: from each fault’s heal to the first successful send / delivery (the slowest of the case). Unavailability: spans with no successful send / no delivery while something waited.',
    '',
    '| case | sends | latency p50 / p95 / p99 | faults | recovery: first send ok | recovery: first delivery | no-send windows | no-delivery windows |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ];
}

/** Each case's measurements, a small table per key. */
export function measurementLines(cases: readonly CaseResult[]): string[] {
  const lines: string[] = [];
  for (const c of cases) {
    const tables = measurementTables(c.measurements);
    if (!tables.length) continue;
    lines.push('', `#### Measurements of ${cell(c.id)}`);
    for (const t of tables) {
      lines.push(
        '',
        `${cell(t.title)}`,
        '',
        `| ${t.headers.map(cell).join(' | ')} |`,
        `| ${t.headers.map(() => '---').join(' | ')} |`,
      );
      for (const row of t.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
    }
  }
  return lines.length ? ['', '### Measurements', ...lines] : [];
}
