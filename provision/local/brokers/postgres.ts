/**
 * PostgreSQL, the store: Debian's binaries (`/usr/lib/postgresql/<major>/bin`, the `postgresql`
 * package installed when missing), a private cluster in the state directory, run in the foreground
 * as an unprivileged user on its own port with its unix socket inside the state directory. Durability
 * settings are PostgreSQL's defaults (fsync, synchronous_commit and full_page_writes on): a commit
 * it acknowledged must survive kill -9, and the tests check that it does.
 */
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runOrThrow } from '../exec.ts';
import { aptPackage } from '../install.ts';
import { processesIn } from '../processes.ts';
import type { LocalService } from '../service.ts';
import {
  assertReachable,
  clearStaleLocks,
  ensureCluster,
  ownDir,
  postgresBinDir,
  postgresRunAs,
  postgresVersion,
} from './postgres-cluster.ts';

/** The data directory as /proc shows a process's working directory: symlinks resolved. */
function realDataDir(stateDir: string): string {
  const dir = join(stateDir, 'data');
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

export const postgres: LocalService = {
  name: 'postgres',
  upstreamPort: (ports) => ports.postgres.upstream,
  extraPorts: () => [],
  // Backends call setsid and overwrite their environment: found by working directory instead.
  members: (stateDir) => processesIn(realDataDir(stateDir), 'postgres'),
  stopGraceMs: 30_000,
  // initdb on first use, crash recovery after a kill: seconds, not minutes.
  startTimeoutMs: 60_000,

  async install(_ctx, log) {
    await aptPackage(
      'postgresql',
      () => postgresBinDir() !== undefined,
      log,
      'Install PostgreSQL (Debian/Ubuntu: apt-get install -y postgresql; macOS: brew install postgresql), or use --provision external.',
    );
    const binDir = postgresBinDir()!;
    return { version: await postgresVersion(binDir), home: binDir };
  },

  async prepare(ctx, installation, stateDir, log) {
    const runAs = await postgresRunAs(log);
    assertReachable(stateDir, runAs);
    ownDir(stateDir, runAs);
    const { dataDir } = await ensureCluster({
      binDir: installation.home,
      major: installation.version.split('.')[0]!,
      stateDir,
      runAs,
      log,
    });
    const socketDir = join(stateDir, 'socket');
    const port = ctx.ports.postgres.upstream;
    clearStaleLocks(
      dataDir,
      [join(dataDir, 'postmaster.pid'), join(socketDir, `.s.PGSQL.${port}.lock`)],
      log,
    );
    ownDir(socketDir, runAs);
    return {
      command: join(installation.home, 'postgres'),
      args: [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-h',
        ctx.ports.host,
        '-k',
        socketDir,
        // Every consumer worker process holds a small pool of its own.
        '-c',
        'max_connections=200',
      ],
      uid: runAs?.uid,
      gid: runAs?.gid,
      logFile: join(stateDir, 'postgres.log'),
    };
  },

  async gracefulStop(_ctx, record, stateDir) {
    const runAs = await postgresRunAs(() => {});
    // Fast: roll back open transactions and disconnect clients, then a clean shutdown checkpoint.
    await runOrThrow(
      'pg_ctl stop',
      join(dirname(record.command[0] ?? 'postgres'), 'pg_ctl'),
      ['stop', '-D', join(stateDir, 'data'), '-m', 'fast', '-w', '-t', '25'],
      {
        uid: runAs?.uid,
        gid: runAs?.gid,
        timeoutMs: 30_000,
        env: { ...process.env, BROKERPROOF_OWNER: stateDir },
      },
    );
  },
};
