/**
 * Standalone entry for the `brokers` command, for CI and for use before the CLI is wired:
 *   node --import tsx scripts/brokers.ts up [--only kafka,rabbitmq] [--json]
 *   node --import tsx scripts/brokers.ts status --json
 *   node --import tsx scripts/brokers.ts down
 * Same behaviour and exit codes as `brokerproof brokers …`.
 */
import { Command, CommanderError } from 'commander';
import { registerBrokersCommand } from '../cli/commands/brokers.ts';

let code = 0;
const program = new Command('brokerproof').exitOverride();
registerBrokersCommand(program, { exit: (c) => (code = c) });
for (const command of program.commands) {
  command.exitOverride();
  for (const sub of command.commands) sub.exitOverride();
}
try {
  await program.parseAsync(['brokers', ...process.argv.slice(2)], { from: 'user' });
} catch (error) {
  code = error instanceof CommanderError ? (error.exitCode === 0 ? 0 : 2) : 2;
  if (!(error instanceof CommanderError)) process.stderr.write(`brokerproof: ${String(error)}\n`);
}
process.exit(code);
