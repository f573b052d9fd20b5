import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { BrokerproofError } from '../../core/errors.ts';
import { renderedReporters } from '../../reports/files.ts';
import { RESULTS_FILE } from '../../reports/json.ts';
import { RESULTS_VERSION, type RunResult } from '../../runner/run-result.ts';
import type { CliIo } from '../io.ts';

/** Reads a results.json written by `run`, with a clear error when it is missing or not one. */
export function readResults(file: string): RunResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new BrokerproofError(`cannot read ${file}: ${(cause as Error).message}`, {
      cause,
      hint: 'Pass a report directory (or its results.json) written by `brokerproof run`.',
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new BrokerproofError(`${file} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const result = value as Partial<RunResult>;
  if (
    typeof value !== 'object' ||
    value === null ||
    !Array.isArray(result.cases) ||
    typeof result.version !== 'number'
  ) {
    throw new BrokerproofError(`${file} is not a brokerproof results file (no "version" and "cases")`);
  }
  if (result.version > RESULTS_VERSION) {
    throw new BrokerproofError(
      `${file} has results version ${result.version}; this brokerproof reads ${RESULTS_VERSION}`,
      {
        hint: 'Render it with the brokerproof version that wrote it.',
      },
    );
  }
  return value as RunResult;
}

export function registerReportCommand(program: Command, io: CliIo): void {
  program
    .command('report')
    .description('render the HTML, JUnit and Markdown reports again from a report directory')
    .argument('<dir>', 'report directory holding results.json')
    .action(async (dir: string) => {
      const result = readResults(join(dir, RESULTS_FILE));
      for (const reporter of renderedReporters()) await reporter.onRunEnd?.(result, dir);
      io.err(
        `rendered ${join(dir, 'index.html')}, junit.xml and summary.md from ${result.cases.length} cases\n`,
      );
      io.exit(0);
    });
}
