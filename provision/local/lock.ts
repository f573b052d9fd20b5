/**
 * A lock file so that two `brokers up`/`down` (a CLI and a test run, or parallel test files) never
 * start the same broker twice. Held by PID; a lock whose holder died is taken over.
 */

import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerUnavailableError } from '../../core/errors.ts';
import { isAlive, sleep } from './processes.ts';

export async function withStateLock<T>(
  stateRoot: string,
  task: () => Promise<T>,
  options: { timeoutMs?: number; onWait?: (holder: string) => void } = {},
): Promise<T> {
  mkdirSync(stateRoot, { recursive: true });
  const file = join(stateRoot, '.lock');
  const token = `${process.pid} ${randomUUID()}`;
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  let told = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, token);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = '';
      try {
        holder = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      const pid = Number(holder.split(' ')[0]);
      if (holder && (!Number.isInteger(pid) || !isAlive(pid))) {
        rmSync(file, { force: true });
        continue;
      }
      if (!told) {
        options.onWait?.(holder);
        told = true;
      }
      if (Date.now() > deadline) {
        throw new BrokerUnavailableError(`another brokerproof process (pid ${pid}) holds ${file}`, {
          hint: 'Wait for it to finish, or remove the file if that process is gone.',
        });
      }
      await sleep(200);
    }
  }
  try {
    return await task();
  } finally {
    try {
      if (readFileSync(file, 'utf8') === token) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  }
}
