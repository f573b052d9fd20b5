import { htmlReporter } from './html.ts';
import { jsonReporter } from './json.ts';
import { junitReporter } from './junit.ts';
import { markdownReporter } from './markdown.ts';
import type { Reporter } from './reporter.ts';

/** The reports written into the report directory: results.json first, so the others can be re-rendered. */
export function fileReporters(): Reporter[] {
  return [jsonReporter(), htmlReporter(), junitReporter(), markdownReporter()];
}

/** The reports `brokerproof report <dir>` renders again from results.json. */
export function renderedReporters(): Reporter[] {
  return [htmlReporter(), junitReporter(), markdownReporter()];
}
