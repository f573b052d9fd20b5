/**
 * Starting a Docker engine where one is installed but not running (CI machines, this project's dev
 * machines: Debian's docker.io, no init system). Only for the opt-in Docker tests and image builds; a
 * user's own Docker is never started or stopped by brokerproof. Its log and pid live under
 * `<cache>/dockerd` (outside the brokers' state, so `brokers down` leaves it alone).
 */
import { join } from 'node:path';
import { BrokerUnavailableError } from '../../core/errors.ts';
import { which } from '../local/exec.ts';
import type { LocalPaths } from '../local/paths.ts';
import {
  logTail,
  readRecord,
  removeRecord,
  sleep,
  spawnDetached,
  stopOwned,
  writeRecord,
} from '../local/processes.ts';
import { dockerEngineAnswers } from './engine.ts';

export interface DockerdHandle {
  /** False when an engine was already answering (then `stop` does nothing). */
  started: boolean;
  stop(): Promise<void>;
}

export async function ensureDockerd(
  paths: LocalPaths,
  log: (line: string) => void = () => {},
): Promise<DockerdHandle> {
  const dir = join(paths.cache, 'dockerd');
  if (await dockerEngineAnswers()) return { started: false, stop: async () => {} };
  const dockerd = which('dockerd', ['/usr/sbin', '/usr/bin']);
  if (!dockerd) {
    throw new BrokerUnavailableError('no Docker engine answers and dockerd is not installed', {
      hint: 'Install Docker (Debian: apt-get install -y docker.io) or start Docker Desktop.',
    });
  }
  if (process.getuid?.() !== 0) {
    throw new BrokerUnavailableError('no Docker engine answers, and starting dockerd needs root', {
      hint: 'Start Docker yourself (systemctl start docker, or Docker Desktop).',
    });
  }
  log('starting dockerd');
  const record = spawnDetached('dockerd', dir, 'system', {
    command: dockerd,
    args: ['--host', 'unix:///var/run/docker.sock'],
    logFile: join(dir, 'dockerd.log'),
  });
  writeRecord(dir, record);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await dockerEngineAnswers(process.env, 1000)) {
      return { started: true, stop: () => stopDockerd(paths) };
    }
    await sleep(250);
  }
  throw new BrokerUnavailableError(`dockerd did not answer within 60 s:\n${logTail(record.logFile, 20)}`);
}

/** Stops a dockerd that `ensureDockerd` started (by recorded PID); leaves any other engine alone. */
export async function stopDockerd(paths: LocalPaths): Promise<void> {
  const dir = join(paths.cache, 'dockerd');
  const record = readRecord(dir);
  await stopOwned(record?.pid, dir, 20_000);
  removeRecord(dir);
}
