/**
 * `brokerproof/vitest`: a conformance suite as vitest tests. `conformance(config)` declares one test
 * per case (named by its case id); the suite runs once, when the first of them starts, and each test
 * passes when its case's claim held, and fails with the verdict, the anomalies and the report's path
 * otherwise.
 *
 *   import { conformance } from 'brokerproof/vitest';
 *   import config from './brokerproof.config.ts';
 *   conformance(config);
 */
import { describe, test } from 'vitest';
import { type ConfigSource, planCases, type RunApiOptions, reportPaths } from './api/run.ts';
import type { CaseResult } from './runner/case.ts';

export interface ConformanceOptions extends RunApiOptions {
  /** The describe block's name (default `brokerproof conformance`). */
  name?: string | undefined;
  /** Each test's timeout in ms; the first waits for the whole suite (default 15 minutes). */
  timeoutMs?: number | undefined;
}

/** Declares one vitest test per case of the config's conformance suite. */
export function conformance(config: ConfigSource = {}, options: ConformanceOptions = {}): void {
  describe(options.name ?? 'brokerproof conformance', async () => {
    const planned = await planCases(config, options);
    for (const id of planned.ids) {
      test(id, { timeout: options.timeoutMs ?? 15 * 60_000 }, async () => {
        const { result, outDir } = await planned.run();
        const found = result.cases.find((c) => c.id === id);
        if (!found) {
          throw new Error(
            `${id} did not run: ${result.interrupted ? 'the run was interrupted' : 'the run stopped before it'} (report: ${reportPaths(outDir, '').report})`,
          );
        }
        if (found.valid !== true) throw new Error(verdictMessage(found, outDir));
      });
    }
  });
}

const EXAMPLES = 5;

/** The verdict of a case that did not hold, with its anomalies and where to look. */
export function verdictMessage(c: CaseResult, outDir: string): string {
  const paths = reportPaths(outDir, c.history);
  const claim = [
    c.guarantee.delivery,
    c.guarantee.ordering && c.guarantee.ordering !== 'none' ? `${c.guarantee.ordering} order` : undefined,
    c.guarantee.maxAttempts !== undefined ? `DLQ after ${c.guarantee.maxAttempts}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [
    c.valid === false
      ? `${c.id}: VIOLATED — ${c.setup} claims ${claim}`
      : `${c.id}: could not decide — ${c.reasons.join('; ') || 'no verdict'}`,
  ];
  for (const kind of c.violations) {
    const ids = [...new Set(c.anomalies.filter((a) => a.kind === kind).map((a) => a.id))];
    const count = (c.counts as Record<string, number>)[kind] ?? ids.length;
    const shown = ids.slice(0, EXAMPLES).join(', ');
    lines.push(`  ${kind}: ${count}${shown ? ` (${shown}${ids.length > EXAMPLES ? ', …' : ''})` : ''}`);
  }
  if (c.valid === false && c.reasons.length) lines.push(`  also: ${c.reasons.join('; ')}`);
  lines.push(`  report: ${paths.report}`, `  history: ${paths.history}`);
  lines.push(`  replay: npx brokerproof replay ${outDir} --case ${c.id}`);
  return lines.join('\n');
}
