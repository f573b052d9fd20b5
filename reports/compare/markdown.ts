/** compare.md: the matrix, per-setup load/latency/recovery, and the claims, as GitHub Markdown. */
import { cell } from '../markdown-figures.ts';
import { formatMs } from '../plots.ts';
import type { CompareModel, MatrixCell } from './model.ts';

function verdict(c: MatrixCell | undefined): string {
  if (!c || c.verdict === 'not-applicable') return 'n/a';
  const link = (label: string) => `[${cell(label)}](${c.cases[0]!.href})`;
  if (c.verdict === 'held') return link('✓ held');
  if (c.verdict === 'violated')
    return link(`✗ ${c.anomaly?.kind ?? 'violated'} ${c.anomaly?.count ?? ''}`.trim());
  return `${link('? unknown')} ${cell((c.reason ?? '').slice(0, 100))}`;
}

const ms = (v: number | null) => (v === null ? '–' : formatMs(v));

export function renderCompareMarkdown(model: CompareModel): string {
  const t = model.totals;
  const lines = [
    '## brokerproof comparison',
    '',
    `${model.setups.length} setups × ${model.columns.length} columns — ${t.held} held, ${t.violated} violated, ${t.unknown} unknown, ${t.notApplicable} not applicable. From ${model.runs.map((r) => `\`${cell(r.dir)}\``).join(', ')}.`,
    '',
    '### Matrix',
    '',
    `| setup | ${model.columns.map((c) => cell(c.key)).join(' | ')} |`,
    `| --- | ${model.columns.map(() => '---').join(' | ')} |`,
  ];
  for (const s of model.setups)
    lines.push(`| ${cell(s.key)} | ${model.columns.map((c) => verdict(s.cells[c.key])).join(' | ')} |`);
  lines.push(
    '',
    '### Load, latency and recovery per setup',
    '',
    '| setup | cases | sends ok/s | latency p50 / p95 / p99 | faults healed | heal → first send ok (median / worst) | heal → first delivery (median / worst) | longest no-send / no-delivery |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const s of model.setups) {
    const l = s.stats.latencyMs;
    const r = s.stats.recovery;
    const never = (n: number) => (n ? ` (${n} none after)` : '');
    lines.push(
      `| ${cell(s.key)} | ${s.stats.cases} | ${s.stats.sendsPerSecond ?? '–'} | ${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)} | ${r.faults} | ${ms(r.sendOkMs.median)} / ${ms(r.sendOkMs.max)}${never(r.sendOkMs.never)} | ${ms(r.deliveryMs.median)} / ${ms(r.deliveryMs.max)}${never(r.deliveryMs.never)} | ${r.longestNoSendMs ? formatMs(r.longestNoSendMs) : 'none'} / ${r.longestNoDeliveryMs ? formatMs(r.longestNoDeliveryMs) : 'none'} |`,
    );
  }
  lines.push('', '### Claims', '', '| setup | claims checked | on whose word |', '| --- | --- | --- |');
  for (const s of model.setups) {
    const claims = s.claims.map((c) => `${c.claim} (${c.scenarios.join(', ')})`).join('; ');
    const word =
      s.claimBasis === 'vendor'
        ? `the vendor — tested, not endorsed${s.vendorClaim ? `: ${s.vendorClaim}` : ''}`
        : 'the configuration (the mechanisms the broker documents)';
    lines.push(`| ${cell(s.key)} | ${cell(claims)} | ${cell(word)} |`);
  }
  if (model.notRun.length) {
    lines.push('', `### Not run (${model.notRun.length})`, '');
    for (const n of model.notRun)
      lines.push(
        `- ${cell(`${n.driver}/${n.setup}/${n.scenario}`)} with ${cell(n.faults)}: ${cell(n.reason)}`,
      );
  }
  return `${lines.join('\n')}\n`;
}
