import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.ts';
import { UsageError } from '../../core/errors.ts';
import {
  buildCompare,
  type ComparedRun,
  type CompareModel,
  type NotRun,
  reportHref,
} from '../../reports/compare/model.ts';
import { COMPARE_FILES, writeCompare } from '../../reports/compare/write.ts';
import { withFigures } from '../../reports/figures/read.ts';
import { RESULTS_FILE } from '../../reports/json.ts';
import { exitCodeFor, overallValidity } from '../../runner/run-result.ts';
import type { CliIo } from '../io.ts';
import { listValue, nonNegativeNumber, positiveInt, seedValue } from '../parse.ts';
import { runMatrix } from './compare-run.ts';
import { readResults } from './report.ts';

export const DEFAULT_COMPARE_OUT = 'compare';

interface CompareFlags {
  out?: string;
  drivers?: string[];
  scenario?: string[];
  faults?: string[];
  runs?: number;
  maxTime?: number;
  seed?: number;
  messages?: number;
  config?: string;
  progress?: boolean;
}

/** A report directory (or its results.json) → the run, with figures, and its link from the output. */
export async function readComparedRun(given: string, outDir: string): Promise<ComparedRun> {
  const path = resolve(given);
  if (!existsSync(path)) {
    throw new UsageError(`${given} does not exist`, {
      hint: 'Pass report directories written by `brokerproof run` (each holds results.json).',
    });
  }
  const dir = statSync(path).isDirectory() ? path : dirname(path);
  const file = statSync(path).isDirectory() ? join(path, RESULTS_FILE) : path;
  if (!existsSync(file)) {
    throw new UsageError(`${given} holds no ${RESULTS_FILE}`, {
      hint: 'Pass report directories written by `brokerproof run` (each holds results.json).',
    });
  }
  const result = await withFigures(readResults(file), dir);
  return { dir: given, href: reportHref(relative(outDir, dir)), result };
}

/** Builds and writes the comparison; the exit code follows every compared case (0 / 1 / 2). */
export async function writeComparison(
  runs: readonly ComparedRun[],
  notRun: readonly NotRun[],
  outDir: string,
  io: CliIo,
): Promise<CompareModel> {
  const model = buildCompare(runs, notRun);
  await writeCompare(model, outDir);
  const t = model.totals;
  io.err(
    `brokerproof: compared ${model.setups.length} setups × ${model.columns.length} columns (${t.held} held, ${t.violated} violated, ${t.unknown} unknown, ${t.notApplicable} n/a${notRun.length ? `, ${notRun.length} not run` : ''}) → ${join(outDir, COMPARE_FILES.html)}, ${COMPARE_FILES.json}, ${COMPARE_FILES.markdown}\n`,
  );
  return model;
}

export function registerCompareCommand(program: Command, io: CliIo): void {
  program
    .command('compare')
    .description(
      'compare setups across runs: from report directories, or run the matrix (--drivers) and compare it; writes compare/index.html, compare.json, compare.md',
    )
    .argument('[dirs...]', 'report directories written by `brokerproof run` (omit to run the matrix)')
    .option('--out <dir>', `output directory (default: ${DEFAULT_COMPARE_OUT})`)
    .option(
      '--drivers <names>',
      'run the matrix on these drivers, comma-separated (default: every driver)',
      listValue,
    )
    .option(
      '--scenario <names>',
      'run only these scenarios, comma-separated, or all (default: work-queue,ordered,fan-out,retry-dlq,exactly-once — the broker-level ones)',
      listValue,
    )
    .option(
      '--faults <sets>',
      'fault sets to run, comma-separated; join faults of one set with + (default: none,consumer-crash,partition,broker-kill)',
      listValue,
    )
    .option('--runs <n>', 'cases per scenario and fault set (default 1)', positiveInt('--runs'))
    .option(
      '--max-time <seconds>',
      'stop the matrix after this long (the running case is cut short; the rest is listed as not run)',
      nonNegativeNumber('--max-time'),
    )
    .option('--seed <n>', 'fast-check seed (default: random, printed)', seedValue)
    .option('--messages <n>', 'messages per case (default: drawn)', positiveInt('--messages'))
    .option('--config <file>', 'config file (driver settings, timeouts)')
    .option('--no-progress', 'no progress output on stderr')
    .action(async (dirs: string[], flags: CompareFlags) => {
      const outDir = resolve(flags.out ?? DEFAULT_COMPARE_OUT);
      const running = flags.drivers !== undefined || dirs.length === 0;
      if (running && dirs.length) {
        throw new UsageError('give report directories or --drivers, not both', {
          hint: 'Compare existing reports: `brokerproof compare dirA dirB`; run the matrix: `brokerproof compare --drivers memory,rabbitmq`.',
        });
      }
      if (!running) {
        for (const flag of ['scenario', 'faults', 'runs', 'maxTime', 'seed', 'messages'] as const) {
          if (flags[flag] !== undefined)
            throw new UsageError(
              `--${flag === 'maxTime' ? 'max-time' : flag} applies when running the matrix (--drivers), not to existing reports`,
            );
        }
        const runs: ComparedRun[] = [];
        for (const dir of dirs) runs.push(await readComparedRun(dir, outDir));
        if (runs.some((r) => resolve(r.dir) === outDir)) {
          throw new UsageError('--out must not be one of the compared report directories');
        }
        await writeComparison(runs, [], outDir, io);
        io.exit(
          exitCodeFor(
            overallValidity(
              runs.flatMap((r) => r.result.cases),
              false,
            ),
          ),
        );
        return;
      }
      const { config } = await loadConfig(flags.config);
      const matrix = await runMatrix(
        {
          drivers: flags.drivers,
          scenarios: flags.scenario,
          faultSets: flags.faults,
          runs: flags.runs ?? 1,
          maxTimeMs: flags.maxTime === undefined ? undefined : flags.maxTime * 1000,
          seed: flags.seed ?? Math.floor(Math.random() * 0x7fffffff),
          messages: flags.messages,
          outDir,
          progress: flags.progress !== false,
        },
        config,
        io,
      );
      await writeComparison(matrix.runs, matrix.notRun, outDir, io);
      const cases = matrix.runs.flatMap((r) => r.result.cases);
      io.exit(exitCodeFor(overallValidity(cases, matrix.interrupted)));
    });
}
