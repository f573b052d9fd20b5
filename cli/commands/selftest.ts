import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatMs } from '../../reports/format.ts';
import { selftest } from '../../suites/selftest.ts';
import { type CliIo, printJson } from '../io.ts';
import { positiveInt, seedValue } from '../parse.ts';
import { onInterrupt } from '../signals.ts';

interface SelftestFlags {
  runs?: number;
  seed?: number;
  out?: string;
  json?: boolean;
}

export function registerSelftestCommand(program: Command, io: CliIo): void {
  program
    .command('selftest')
    .description(
      "prove the checker on the memory broker's injected anomalies (detection 1, false positives 0)",
    )
    .option('--runs <n>', 'cases per probe (default 3)', positiveInt('--runs'))
    .option('--seed <n>', 'fast-check seed (default 1)', seedValue)
    .option('--out <dir>', 'where probe histories go (default brokerproof-selftest)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (flags: SelftestFlags) => {
      const started = Date.now();
      const controller = new AbortController();
      const stop = onInterrupt(controller, io);
      try {
        const result = await selftest({
          runs: flags.runs ?? 3,
          seed: flags.seed ?? 1,
          outDir: resolve(flags.out ?? 'brokerproof-selftest'),
          signal: controller.signal,
        });
        const ok = result.detectionRate === 1 && result.falsePositiveRate === 0 && result.cases.length > 0;
        if (flags.json) printJson(io, result);
        else {
          for (const c of result.cases) {
            io.out(
              `${c.correct ? '✓' : '✗'} ${c.probe.padEnd(28)} ${c.id} — ${c.anomaly ? `${c.injected} injected, ` : ''}verdict ${String(c.valid)}\n`,
            );
          }
          io.out(
            `\ndetection rate ${result.detectionRate}, false-positive rate ${result.falsePositiveRate}` +
              ` (${result.cases.length} cases, ${result.notExercised} not exercised) in ${formatMs(Date.now() - started)}\n`,
          );
        }
        io.exit(controller.signal.aborted ? 2 : ok ? 0 : 1);
      } finally {
        stop();
      }
    });
}
