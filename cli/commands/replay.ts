import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { replayedSetups } from '../../config/custom-setups.ts';
import { UsageError } from '../../core/errors.ts';
import type { DriverSettings } from '../../drivers/index.ts';
import { RESULTS_FILE } from '../../reports/json.ts';
import { defaultStoreKind } from '../../runner/case-store.ts';
import { exitCodeFor } from '../../runner/run-result.ts';
import type { CliIo } from '../io.ts';
import { printJson } from '../io.ts';
import { readResults } from './report.ts';
import { executeRun, runJson } from './run.ts';

interface ReplayFlags {
  case?: string;
  out?: string;
  json?: boolean;
  progress?: boolean;
}

export function registerReplayCommand(program: Command, io: CliIo): void {
  program
    .command('replay')
    .description('run a case again with its seed and fast-check path (the same workload and faults)')
    .argument('<results>', 'results.json (or the report directory holding it)')
    .option('--case <id>', 'the case to replay (default: the first violated case, else the first case)')
    .option('--out <dir>', 'report directory for the replay (default: brokerproof-replay)')
    .option('--json', 'print one JSON document on stdout')
    .option('--no-progress', 'no progress output on stderr')
    .action(async (file: string, flags: ReplayFlags) => {
      const path = statSync(file, { throwIfNoEntry: false })?.isDirectory()
        ? resolve(file, RESULTS_FILE)
        : resolve(file);
      const results = readResults(path);
      const chosen = flags.case
        ? results.cases.find((c) => c.id === flags.case)
        : (results.cases.find((c) => c.valid === false) ?? results.cases[0]);
      if (!chosen) {
        throw new UsageError(flags.case ? `no case "${flags.case}" in ${path}` : `${path} holds no cases`, {
          hint: `Cases: ${results.cases
            .slice(0, 10)
            .map((c) => c.id)
            .join(', ')}${results.cases.length > 10 ? ', …' : ''}`,
        });
      }
      io.err(`replaying ${chosen.id} (seed ${chosen.seed}, path ${chosen.path}) from ${dirname(path)}\n`);
      const result = await executeRun(
        {
          driver: chosen.driver,
          settings: (results.settings?.drivers ?? {}) as DriverSettings,
          setups: [chosen.setup],
          scenarios: [chosen.scenario],
          variant: chosen.variant,
          store: chosen.store ?? defaultStoreKind(chosen.driver),
          override: {
            delivery: chosen.guarantee.delivery,
            ordering: chosen.guarantee.ordering,
            ...(chosen.guarantee.maxAttempts !== undefined && { maxAttempts: chosen.guarantee.maxAttempts }),
            ...(chosen.guarantee.projection !== undefined && { projection: chosen.guarantee.projection }),
            ...(chosen.guarantee.concurrency !== undefined && { concurrency: chosen.guarantee.concurrency }),
            ...(chosen.guarantee.maxStalenessMs !== undefined && {
              maxStalenessMs: chosen.guarantee.maxStalenessMs,
            }),
          },
          faults: [...chosen.faults],
          runs: 1,
          seed: chosen.seed,
          messages: results.settings?.messages,
          soakMinutes: results.settings?.soakMinutes,
          outDir: resolve(flags.out ?? 'brokerproof-replay'),
          timeouts: results.settings?.timeouts as never,
          isolation: results.settings?.isolation,
          provision: 'auto',
          shrinkSeconds: 0,
          endpoints: undefined,
          // A custom setup and a handler come back as the case ran them.
          customSetups: replayedSetups(chosen),
          handler: chosen.handler,
          handlerStore: chosen.handlerStore,
        },
        io,
        { json: flags.json === true, progress: flags.progress !== false, path: chosen.path },
      );
      if (flags.json) printJson(io, runJson(result, resolve(flags.out ?? 'brokerproof-replay')));
      io.exit(exitCodeFor(result.valid));
    });
}
