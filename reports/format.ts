import type { Validity } from '../checker/check.ts';
import type { CaseResult } from '../runner/case.ts';

export function verdictWord(valid: Validity): string {
  return valid === true ? 'holds' : valid === false ? 'VIOLATED' : 'unknown';
}

export function verdictSymbol(valid: Validity): string {
  return valid === true ? '✓' : valid === false ? '✗' : '?';
}

/** The non-zero counts that matter most, for one-line summaries. */
export function keyCounts(c: CaseResult): string {
  const parts = [`${c.counts.attempted} sent`, `${c.counts.processed} processed`];
  for (const kind of c.violations) parts.push(`${c.counts[kind]} ${kind}`);
  if (c.counts.deadLettered) parts.push(`${c.counts.deadLettered} dead-lettered`);
  if (c.crashes.length) parts.push(`${c.crashes.length} crash${c.crashes.length > 1 ? 'es' : ''}`);
  return parts.join(', ');
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
