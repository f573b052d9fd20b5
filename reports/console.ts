import cliProgress from 'cli-progress';
import { describeClaim } from '../core/guarantee.ts';
import type { CaseResult } from '../runner/case.ts';
import { coverageLine } from '../runner/coverage.ts';
import { formatMs, keyCounts, verdictSymbol, verdictWord } from './format.ts';
import type { Reporter } from './reporter.ts';

export interface ConsoleReporterOptions {
  stream?: NodeJS.WriteStream;
  /** A live bar on a terminal; plain lines otherwise (CI). */
  live?: boolean;
}

/** Progress on stderr: a live bar on a terminal, one plain line per case in CI. */
export function consoleReporter(options: ConsoleReporterOptions = {}): Reporter {
  const stream = options.stream ?? process.stderr;
  const live = options.live ?? (stream.isTTY === true && !process.env.CI);
  let bar: cliProgress.SingleBar | undefined;
  let done = 0;
  let total = 0;
  let violated = 0;
  const line = (c: CaseResult) =>
    `${verdictSymbol(c.valid)} ${c.id} — ${verdictWord(c.valid)} (${describeClaim(c.guarantee)}): ${keyCounts(c)} [${formatMs(c.durationMs)}]`;
  return {
    onRunStart({ totalCases, outDir, seed }) {
      total = totalCases;
      stream.write(
        `brokerproof: ${totalCases} case${totalCases === 1 ? '' : 's'}, seed ${seed}, report in ${outDir}/\n`,
      );
      if (live) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: ' {bar} {value}/{total} cases | {violated} violated | {current}',
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(totalCases, 0, { violated: 0, current: '' });
      }
    },
    onCaseStart(plan) {
      bar?.update({ current: plan.id });
    },
    onCaseEnd(c) {
      done++;
      if (c.valid === false) violated++;
      if (bar) {
        if (c.valid !== true) {
          // Keep problems on screen above the bar.
          bar.stop();
          stream.write(`${line(c)}\n`);
          bar.start(total, done, { violated, current: '' });
        } else bar.update(done, { violated });
      } else stream.write(`${line(c)}\n`);
    },
    onShrinkStep(c, attempt) {
      const note = `  shrinking #${attempt}: ${c.workload.messages} messages, ${c.workload.crashes.length} crashes, ${c.workload.faults.length} faults → ${verdictWord(c.valid)}\n`;
      if (bar) bar.update({ current: `shrinking #${attempt}` });
      else stream.write(note);
    },
    onCounterexample(c, attempts) {
      bar?.stop();
      stream.write(
        `  minimal counterexample after ${attempts} shrink attempts: ${c.id} (seed ${c.seed}, path ${c.path}): ` +
          `${c.workload.messages} messages, ${c.workload.crashes.length} crashes, ${c.workload.faults.length} faults — ${keyCounts(c)}\n`,
      );
      if (bar) bar.start(total, done, { violated, current: '' });
    },
    onRunEnd(result, outDir) {
      bar?.stop();
      const held = result.cases.filter((c) => c.valid === true).length;
      const violatedCases = result.cases.filter((c) => c.valid === false).length;
      const unknown = result.cases.length - held - violatedCases;
      stream.write(
        `\n${verdictSymbol(result.valid)} ${verdictWord(result.valid)}: ${held} held, ${violatedCases} violated, ${unknown} unknown` +
          ` in ${formatMs(result.durationMs)}${result.interrupted ? ' (interrupted)' : ''}\n` +
          `  faults: ${coverageLine(result.cases)}\n` +
          `  report: ${outDir}/index.html  results: ${outDir}/results.json\n`,
      );
    },
  };
}
