import { Command, CommanderError } from 'commander';
import { registerBrokersCommand } from './commands/brokers.ts';
import { registerCheckCommand } from './commands/check.ts';
import { registerCompareCommand } from './commands/compare.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerSelftestCommand } from './commands/selftest.ts';
import { type CliIo, processIo, reportError } from './io.ts';
import { TOOL_VERSION } from './version.ts';

export function buildProgram(io: CliIo): Command {
  const program = new Command('brokerproof')
    .description('What does your message broker setup really guarantee? Find out, with evidence.')
    .version(TOOL_VERSION)
    .showHelpAfterError('(run brokerproof --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  registerRunCommand(program, io);
  registerCheckCommand(program, io);
  registerReplayCommand(program, io);
  registerReportCommand(program, io);
  registerCompareCommand(program, io);
  registerSelftestCommand(program, io);
  registerBrokersCommand(program, io);
  for (const command of program.commands)
    command.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  return program;
}

/** Runs the CLI; resolves to the exit code (0 holds, 1 violated, 2 could not decide / bad input). */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  const captured: CliIo = { ...io, exit: (c) => (code = c) };
  const program = buildProgram(captured);
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage mistakes were already printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportError(io, error);
  }
}
