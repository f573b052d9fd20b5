import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { BrokerproofError } from '../../core/errors.ts';
import { requireChromium } from '../../reports/browser.ts';
import type { CompareModel } from '../../reports/compare/model.ts';
import { COMPARE_FILES, writeCompare } from '../../reports/compare/write.ts';
import { renderedReporters } from '../../reports/files.ts';
import { RESULTS_FILE } from '../../reports/json.ts';
import { printPdf } from '../../reports/pdf.ts';
import { RESULTS_VERSION, type RunResult } from '../../runner/run-result.ts';
import type { CliIo } from '../io.ts';

export const PDF_FILE = 'report.pdf';

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

/** Re-renders a compare output directory (compare.json) and returns its page. */
async function rerenderCompare(dir: string): Promise<string> {
  const file = join(dir, COMPARE_FILES.json);
  let model: CompareModel;
  try {
    model = JSON.parse(readFileSync(file, 'utf8')) as CompareModel;
  } catch (cause) {
    throw new BrokerproofError(`cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  if (
    typeof model !== 'object' ||
    model === null ||
    !Array.isArray(model.setups) ||
    !Array.isArray(model.columns)
  ) {
    throw new BrokerproofError(`${file} is not a brokerproof comparison (no "setups" and "columns")`);
  }
  await writeCompare(model, dir);
  return join(dir, COMPARE_FILES.html);
}

export function registerReportCommand(program: Command, io: CliIo): void {
  program
    .command('report')
    .description(
      'render the HTML, JUnit and Markdown reports again from a report directory (or a compare directory); --pdf prints the page to PDF',
    )
    .argument('<dir>', 'report directory holding results.json, or a compare directory holding compare.json')
    .option('--pdf', 'also print the page to report.pdf in the directory, through Chromium')
    .action(async (dir: string, flags: { pdf?: boolean }) => {
      // Fail before rendering when the PDF cannot be printed at all.
      if (flags.pdf) requireChromium();
      let page: string;
      if (!existsSync(join(dir, RESULTS_FILE)) && existsSync(join(dir, COMPARE_FILES.json))) {
        page = await rerenderCompare(dir);
        io.err(`rendered ${page}, ${COMPARE_FILES.markdown} from ${COMPARE_FILES.json}\n`);
      } else {
        const result = readResults(join(dir, RESULTS_FILE));
        for (const reporter of renderedReporters()) await reporter.onRunEnd?.(result, dir);
        page = join(dir, 'index.html');
        io.err(`rendered ${page}, junit.xml and summary.md from ${result.cases.length} cases\n`);
      }
      if (flags.pdf) {
        const pdf = join(dir, PDF_FILE);
        await printPdf(page, pdf);
        io.err(`printed ${pdf}\n`);
      }
      io.exit(0);
    });
}
