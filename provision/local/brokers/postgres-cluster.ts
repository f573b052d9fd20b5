/**
 * A private PostgreSQL cluster in the state directory: the binaries to use, the unprivileged user it
 * runs as (initdb and postgres refuse root), and the data directory — made once with `initdb -A
 * trust` plus the `brokerproof` role and database, then kept across `up`s like every broker's data.
 */
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { BrokerUnavailableError } from '../../../core/errors.ts';
import { POSTGRES_DATABASE, POSTGRES_USER } from '../../endpoints.ts';
import { run, runOrThrow, which } from '../exec.ts';
import type { Log } from '../install.ts';
import { isAlive, processesIn } from '../processes.ts';

/** Who the server runs as; undefined: as we do (we are not root). */
export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

const DEBIAN_ROOT = '/usr/lib/postgresql';
const TOOLS = ['postgres', 'initdb', 'pg_ctl'];

/** The newest Debian cluster binaries (`/usr/lib/postgresql/<major>/bin`), else those on PATH. */
export function postgresBinDir(): string | undefined {
  const complete = (dir: string) => TOOLS.every((t) => existsSync(join(dir, t)));
  if (existsSync(DEBIAN_ROOT)) {
    const majors = readdirSync(DEBIAN_ROOT)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) {
      const dir = join(DEBIAN_ROOT, major, 'bin');
      if (complete(dir)) return dir;
    }
  }
  const initdb = which('initdb');
  return initdb && complete(dirname(initdb)) ? dirname(initdb) : undefined;
}

/** `15.18` from `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`. */
export async function postgresVersion(binDir: string): Promise<string> {
  const result = await run(join(binDir, 'postgres'), ['--version']);
  const version = result.output.match(/\(PostgreSQL\)\s+(\d+(?:\.\d+)*)/)?.[1];
  if (result.code !== 0 || !version) {
    throw new BrokerUnavailableError(
      `cannot tell the PostgreSQL version of ${binDir}: ${result.output.trim()}`,
    );
  }
  return version;
}

async function lookupUser(name: string): Promise<RunAs | undefined> {
  const uid = await run('id', ['-u', name]);
  const gid = await run('id', ['-g', name]);
  if (uid.code !== 0 || gid.code !== 0) return undefined;
  return { user: name, uid: Number(uid.output.trim()), gid: Number(gid.output.trim()) };
}

/**
 * As root, the user the server runs as: `postgres` (Debian's package makes it), else a system user
 * `brokerproof` made for the purpose. Not root: undefined (the server runs as we do).
 */
export async function postgresRunAs(log: Log): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', POSTGRES_USER]) {
    const found = await lookupUser(name);
    if (found) return found;
  }
  log(`creating the system user ${POSTGRES_USER} to run PostgreSQL (it refuses to run as root)`);
  await runOrThrow(
    `useradd ${POSTGRES_USER}`,
    'useradd',
    [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      POSTGRES_USER,
    ],
    { hint: 'Create an unprivileged user named postgres, or run brokerproof as a user other than root.' },
  );
  const made = await lookupUser(POSTGRES_USER);
  if (!made)
    throw new BrokerUnavailableError(`useradd ${POSTGRES_USER} succeeded but the user cannot be found`);
  return made;
}

/**
 * Throws unless `user` can reach `dir` (search permission on every ancestor): PostgreSQL opens its
 * data directory as that user, and a 0700 home or temp directory on the way stops it with an
 * obscure "Permission denied".
 */
export function assertReachable(dir: string, runAs: RunAs | undefined): void {
  if (!runAs) return;
  for (let d = dirname(dir); ; d = dirname(d)) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(d);
    } catch {
      if (dirname(d) === d) return;
      continue; // made later, by us
    }
    const bit = st.uid === runAs.uid ? 0o100 : st.gid === runAs.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) {
      throw new BrokerUnavailableError(
        `PostgreSQL runs as user ${runAs.user}, who cannot reach its state directory ${dir}: ${d} is not searchable for it`,
        {
          hint: `Allow it (chmod o+x ${d}), or set BROKERPROOF_STATE_DIR to a directory user ${runAs.user} can reach.`,
        },
      );
    }
    if (dirname(d) === d) return;
  }
}

/** Makes `dir` (and nothing above it) belong to the server's user. */
export function ownDir(dir: string, runAs: RunAs | undefined): void {
  mkdirSync(dir, { recursive: true });
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
}

export interface ClusterOptions {
  binDir: string;
  /** Major version of the binaries: a data directory of another major is not readable by them. */
  major: string;
  stateDir: string;
  runAs: RunAs | undefined;
  log: Log;
}

/**
 * The cluster's data directory, made on first use. initdb and the bootstrap SQL run in a staging
 * directory renamed into place at the end, so a `data` directory is always complete.
 */
export async function ensureCluster(
  options: ClusterOptions,
): Promise<{ dataDir: string; initdbMs?: number }> {
  const { binDir, major, stateDir, runAs, log } = options;
  const dataDir = join(stateDir, 'data');
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    const made = readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
    if (made === major) return { dataDir };
    // Test data, not a user's: a new major starts afresh rather than needing pg_upgrade.
    log(`the data directory was made by PostgreSQL ${made}, these binaries are ${major}: making a new one`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const staging = join(stateDir, 'data.init');
  rmSync(staging, { recursive: true, force: true });
  const started = Date.now();
  const as = { uid: runAs?.uid, gid: runAs?.gid, timeoutMs: 120_000 };
  const hint = 'See the output above; `brokerproof brokers down --only postgres --purge` starts it afresh.';
  // C locale: a locale the machine lacks would make initdb fail, and sorting must not vary by host.
  await runOrThrow(
    'initdb',
    join(binDir, 'initdb'),
    ['-D', staging, '-A', 'trust', '--locale=C', '-E', 'UTF8'],
    { ...as, hint },
  );
  // Single-user mode makes the role and database before the server ever listens; one statement a line.
  const bootstrap = [
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${POSTGRES_USER}') THEN CREATE ROLE ${POSTGRES_USER} LOGIN; END IF; END $$;`,
    `CREATE DATABASE ${POSTGRES_DATABASE} OWNER ${POSTGRES_USER};`,
    '',
  ].join('\n');
  const single = await run(
    join(binDir, 'postgres'),
    ['--single', '-D', staging, '-c', 'exit_on_error=true', 'template1'],
    { ...as, input: bootstrap },
  );
  if (single.code !== 0 || /\b(ERROR|FATAL)\b/.test(single.output)) {
    throw new BrokerUnavailableError(
      `creating the ${POSTGRES_USER} role and database failed (postgres --single exited with ${single.code}):\n${single.output.trim()}`,
      { hint },
    );
  }
  renameSync(staging, dataDir);
  const initdbMs = Date.now() - started;
  log(`initialised a cluster in ${dataDir} (${(initdbMs / 1000).toFixed(1)} s)`);
  return { dataDir, initdbMs };
}

/**
 * Clears the lock files of a killed server: `postmaster.pid` in the data directory and
 * `.s.PGSQL.<port>.lock` by its socket. PostgreSQL refuses to start while the PID in one exists,
 * and a killed postmaster stays a zombie until its parent reaps it (seen here: a restart right after
 * kill -9 failed with "lock file … already exists"; init took up to ~2 s to reap). A zombie holds
 * no memory, so its locks go at once — unless one of its children still runs.
 */
export function clearStaleLocks(dataDir: string, lockFiles: readonly string[], log: Log): void {
  for (const file of lockFiles) {
    let pid: number;
    try {
      pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    } catch {
      continue;
    }
    // A live one, or live children, are left to PostgreSQL's own check, which names them.
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    if (processesIn(realpathSync(dataDir), 'postgres').length > 0) return;
    log(`removing ${file}, the lock of the dead postmaster ${pid}`);
    rmSync(file, { force: true });
  }
}
