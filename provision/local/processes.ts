/**
 * Processes we start: spawned detached in their own process group (so a wrapper script and the JVM or
 * Erlang VM it starts are signalled together), output to a log file, a record in
 * `<state>/<name>/process.json`. Every process we start carries BROKERPROOF_OWNER=<its state dir> in
 * its environment, inherited by whatever it forks (epmd included), so `down` can find and stop exactly
 * the processes we started — by PID — and nothing else.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { basename, dirname, join } from 'node:path';

export const OWNER_VARIABLE = 'BROKERPROOF_OWNER';

export interface ProcessRecord {
  name: string;
  /** Leader of the process group we spawned. */
  pid: number;
  version: string;
  startedAt: string;
  command: string[];
  logFile: string;
  /** The broker's state directory; the value of BROKERPROOF_OWNER in its environment. */
  owner: string;
}

export interface SpawnSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  logFile: string;
  /** Run as this user and group (a server that refuses root, e.g. PostgreSQL); default: as we run. */
  uid?: number | undefined;
  gid?: number | undefined;
}

export function recordPath(stateDir: string): string {
  return join(stateDir, 'process.json');
}

export function readRecord(stateDir: string): ProcessRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(stateDir), 'utf8')) as ProcessRecord;
  } catch {
    return undefined;
  }
}

export function writeRecord(stateDir: string, record: ProcessRecord): void {
  mkdirSync(stateDir, { recursive: true });
  const file = recordPath(stateDir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function removeRecord(stateDir: string): void {
  rmSync(recordPath(stateDir), { force: true });
}

/** Starts a detached process group; the caller writes the record. */
export function spawnDetached(name: string, owner: string, version: string, spec: SpawnSpec): ProcessRecord {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd ?? owner,
      env: { ...process.env, ...spec.env, [OWNER_VARIABLE]: owner },
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
      ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
    });
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    return {
      name,
      pid: child.pid,
      version,
      startedAt: new Date().toISOString(),
      command: [spec.command, ...spec.args],
      logFile: spec.logFile,
      owner,
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * True when the process exists and is not a zombie. A thread-group leader can already be a zombie
 * while its other threads are still exiting (and holding its sockets), so every thread is checked.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!existsSync('/proc/self')) return true;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tasks.some((task) => {
    const state = procState(`/proc/${pid}/task/${task}/stat`);
    return state !== undefined && state !== 'Z' && state !== 'X';
  });
}

function procState(statFile: string): string | undefined {
  try {
    const stat = readFileSync(statFile, 'utf8');
    const close = stat.lastIndexOf(')');
    return stat.slice(close + 2, close + 3);
  } catch {
    return undefined;
  }
}

/** The process is alive and carries our owner marker (so a reused PID is never mistaken for ours). */
export function isOurs(pid: number, owner: string): boolean {
  if (!isAlive(pid)) return false;
  const environ = readEnviron(pid);
  if (environ === undefined) return !existsSync('/proc/self');
  return environ.includes(`${OWNER_VARIABLE}=${owner}`);
}

function readEnviron(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/** Whether the process is stopped by SIGSTOP (state T). */
export function isPaused(pid: number): boolean {
  return procState(`/proc/${pid}/stat`) === 'T';
}

/** Every live process whose owner marker is `owner` or lies under `prefix/`. Linux only. */
export function findOwned(prefix: string): Array<{ pid: number; owner: string }> {
  if (!existsSync('/proc/self')) return [];
  const found: Array<{ pid: number; owner: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const environ = readEnviron(pid);
    if (!environ) continue;
    const marker = environ.find((e) => e.startsWith(`${OWNER_VARIABLE}=`));
    if (!marker) continue;
    const owner = marker.slice(OWNER_VARIABLE.length + 1);
    if ((owner === prefix || owner.startsWith(`${prefix}/`)) && isAlive(pid)) found.push({ pid, owner });
  }
  return found;
}

/**
 * Live processes of the executable named `exe` whose working directory is `dir`. It finds servers'
 * children the owner marker cannot: PostgreSQL writes its process titles over the environment.
 * Linux only.
 */
export function processesIn(dir: string, exe: string): number[] {
  if (!existsSync('/proc/self')) return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${pid}/cwd`) !== dir) continue;
      if (basename(readlinkSync(`/proc/${pid}/exe`)) !== exe) continue;
    } catch {
      continue; // gone, a zombie, or not ours to inspect
    }
    if (isAlive(pid)) found.push(pid);
  }
  return found;
}

/** Signals the whole process group led by `pid` (falls back to the process alone). */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pids.every((pid) => !isAlive(pid))) return true;
    await sleep(50);
  }
  return pids.every((pid) => !isAlive(pid));
}

/**
 * Stops the group led by `pid`, plus every other process carrying `owner`: SIGTERM (and SIGCONT, in
 * case it is paused), then SIGKILL after `graceMs`.
 */
export async function stopOwned(pid: number | undefined, owner: string, graceMs: number): Promise<void> {
  const pids = new Set<number>(findOwned(owner).map((p) => p.pid));
  if (pid !== undefined && isOurs(pid, owner)) pids.add(pid);
  if (pids.size === 0) return;
  if (pid !== undefined && pids.has(pid)) {
    signalGroup(pid, 'SIGTERM');
    signalGroup(pid, 'SIGCONT');
  }
  for (const p of pids) {
    signalSafe(p, 'SIGTERM');
    signalSafe(p, 'SIGCONT');
  }
  if (await waitForExit([...pids], graceMs)) return;
  killOwned(pid, owner);
  await waitForExit([...pids], 5000);
}

/** SIGKILL to the group led by `pid` and to every process carrying `owner`. */
export function killOwned(pid: number | undefined, owner: string): number[] {
  const pids = new Set<number>(findOwned(owner).map((p) => p.pid));
  if (pid !== undefined && isOurs(pid, owner)) {
    signalGroup(pid, 'SIGKILL');
    pids.add(pid);
  }
  for (const p of pids) signalSafe(p, 'SIGKILL');
  return [...pids];
}

export function signalSafe(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone
  }
}

/** The last `lines` lines of a file ('' when absent). */
export function logTail(file: string, lines = 30): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const length = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      return buffer.toString('utf8').replace(/\s+$/, '').split('\n').slice(-lines).join('\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** True when something accepts TCP connections at host:port. */
export function portAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
