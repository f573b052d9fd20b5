import { withFigures } from './figures/read.ts';
import { htmlReporter } from './html.ts';
import { jsonReporter } from './json.ts';
import { junitReporter } from './junit.ts';
import { markdownReporter } from './markdown.ts';
import type { Reporter } from './reporter.ts';

/**
 * Reporters that see the run with each case's figures (throughput, latency, recovery), computed
 * once from the history files at the end of the run; every other hook passes straight through.
 */
export function withFiguresReporters(reporters: readonly Reporter[]): Reporter {
  return {
    async onRunStart(info) {
      for (const r of reporters) await r.onRunStart?.(info);
    },
    async onCaseStart(plan) {
      for (const r of reporters) await r.onCaseStart?.(plan);
    },
    async onCaseEnd(result) {
      for (const r of reporters) await r.onCaseEnd?.(result);
    },
    async onShrinkStep(result, attempt) {
      for (const r of reporters) await r.onShrinkStep?.(result, attempt);
    },
    async onCounterexample(result, attempts) {
      for (const r of reporters) await r.onCounterexample?.(result, attempts);
    },
    async onRunEnd(result, outDir) {
      const enriched = await withFigures(result, outDir);
      for (const r of reporters) await r.onRunEnd?.(enriched, outDir);
    },
  };
}

/** The reports written into the report directory: results.json first, so the others can be re-rendered. */
export function fileReporters(): Reporter[] {
  return [withFiguresReporters([jsonReporter(), htmlReporter(), junitReporter(), markdownReporter()])];
}

/** The reports `brokerproof report <dir>` renders again from results.json. */
export function renderedReporters(): Reporter[] {
  return [withFiguresReporters([htmlReporter(), junitReporter(), markdownReporter()])];
}
