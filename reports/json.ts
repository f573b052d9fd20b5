import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter } from './reporter.ts';

export const RESULTS_FILE = 'results.json';

/** Writes `results.json`: the whole run, from which every other report can be rendered again. */
export function jsonReporter(): Reporter {
  return {
    onRunEnd(result, outDir) {
      writeFileSync(join(outDir, RESULTS_FILE), `${JSON.stringify(result, null, 2)}\n`);
    },
  };
}
