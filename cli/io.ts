import { BrokerproofError, describeError } from '../core/errors.ts';

/** Where a command writes: results on stdout, everything else (progress, logs, errors) on stderr. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  exit: (code) => {
    process.exitCode = code;
  },
};

/** Prints an error the way users should see it: what was wrong and what to do, never a stack trace. */
export function reportError(io: CliIo, error: unknown): number {
  if (error instanceof BrokerproofError) {
    io.err(`brokerproof: ${error.message}\n`);
    if (error.hint) io.err(`  ${error.hint}\n`);
    if (process.env.BROKERPROOF_DEBUG && error.cause) io.err(`  cause: ${describeError(error.cause)}\n`);
    return error.exitCode;
  }
  io.err(`brokerproof: unexpected error: ${describeError(error)}\n`);
  io.err('  This is a bug in brokerproof; set BROKERPROOF_DEBUG=1 for details and report it.\n');
  if (process.env.BROKERPROOF_DEBUG && error instanceof Error) io.err(`${error.stack}\n`);
  return 2;
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}
