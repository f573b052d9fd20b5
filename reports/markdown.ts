import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeClaim } from '../core/guarantee.ts';
import { caseCoverageSummary, coverageLine } from '../runner/coverage.ts';
import type { RunResult } from '../runner/run-result.ts';
import { formatMs, keyCounts, verdictSymbol, verdictWord } from './format.ts';
import { cell, figuresLines, measurementLines } from './markdown-figures.ts';
import type { Reporter } from './reporter.ts';

export function renderMarkdown(result: RunResult): string {
  const held = result.cases.filter((c) => c.valid === true).length;
  const violated = result.cases.filter((c) => c.valid === false).length;
  const unknown = result.cases.length - held - violated;
  const lines = [
    `## brokerproof: ${verdictSymbol(result.valid)} ${verdictWord(result.valid)}`,
    '',
    `${result.cases.length} cases — ${held} held, ${violated} violated, ${unknown} unknown · seed ${result.seed} · ${formatMs(result.durationMs)}${result.interrupted ? ' · **interrupted**' : ''}`,
    '',
    `Faults: ${cell(coverageLine(result.cases))}`,
    '',
    '| case | claim | verdict | counts | faults |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const c of result.cases) {
    lines.push(
      `| ${cell(c.id)} | ${cell(describeClaim(c.guarantee))}${c.claimBasis === 'vendor' ? ' (vendor’s claim, tested, not endorsed)' : ''} | ${verdictSymbol(c.valid)} ${verdictWord(c.valid)} | ${cell(keyCounts(c))} | ${cell(caseCoverageSummary(c.coverage))} |`,
    );
  }
  const custom = result.cases.filter((c) => c.setupExtends !== undefined);
  if (custom.length) {
    lines.push('', '### Custom setups', '');
    for (const c of custom)
      lines.push(
        `- ${cell(c.id)}: ${cell(c.setup)} extends ${cell(c.setupExtends!)}, options \`${cell(JSON.stringify(c.setupOptions ?? {}))}\`, claims ${cell(describeClaim(c.guarantee))}${c.handler ? `, handler \`${cell(c.handler)}\`` : ''}`,
      );
  }
  lines.push(...figuresLines(result.cases), ...measurementLines(result.cases));
  const broken = result.cases.filter((c) => c.valid !== true);
  if (broken.length) {
    lines.push('', '### What went wrong', '');
    for (const c of broken) {
      if (c.claimBasis === 'vendor' && c.valid === false)
        lines.push(
          `The vendor’s claim did not hold: ${cell(c.vendorClaim ?? describeClaim(c.guarantee))}`,
          '',
        );
      lines.push(
        `**${cell(c.id)}** — ${verdictWord(c.valid)} (history \`${cell(c.history)}\`, replay: seed ${c.seed}, path ${cell(c.path)})`,
      );
      for (const a of c.anomalies.filter((a) => c.violations.includes(a.kind)).slice(0, 5)) {
        lines.push(
          `- ${a.kind} \`${cell(a.id)}\` in ${cell(a.group)}: ${cell(a.detail ?? '')} (events ${a.events.join(', ')})`,
        );
      }
      for (const reason of c.reasons) lines.push(`- ${cell(reason)}`);
      lines.push('');
    }
  }
  if (result.skipped.length) {
    lines.push('', `<details><summary>${result.skipped.length} skipped</summary>`, '');
    for (const s of result.skipped)
      lines.push(`- ${cell(`${s.driver}/${s.setup}/${s.scenario}`)}: ${cell(s.reason)}`);
    lines.push('', '</details>');
  }
  return `${lines.join('\n')}\n`;
}

/** Writes `summary.md`, ready for `$GITHUB_STEP_SUMMARY` or a pull-request comment. */
export function markdownReporter(): Reporter {
  return {
    onRunEnd(result, outDir) {
      writeFileSync(join(outDir, 'summary.md'), renderMarkdown(result));
    },
  };
}
