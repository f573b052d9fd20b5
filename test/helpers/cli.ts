import { spawn } from 'node:child_process';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process with captured output. */
export async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
    exit: () => {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export const BIN = new URL('../../bin/brokerproof.js', import.meta.url).pathname;

/** Runs `brokerproof` as a user would: a separate process through bin/. */
export function cliProcess(
  args: string[],
  options: { cwd?: string; onSpawn?: (pid: number) => void } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, CI: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
