/**
 * lossyfs from TypeScript: build the Go binary (cached, rebuilt when its sources change), mount a
 * lossy file system over a backing directory, and drive it — `drop()` is the power failure (every
 * write that was not fsynced is lost), `sync()` a clean shutdown, `unmount()` the end.
 * See docs/lossyfs.md for what is and is not modelled.
 *
 *   const binary = await buildLossyFs(resolvePaths().cache);
 *   const fs = await mountLossyFs({ binary, backing, mount });
 *   // … run a broker on `mount`, kill -9 it …
 *   const dropped = await fs.drop();   // what was lost: files, byte counts
 *   await fs.unmount();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerUnavailableError } from '../core/errors.ts';
import { runOrThrow, serialized, tail, which } from '../provision/local/exec.ts';

/** The Go module's directory (native/lossyfs). */
export const LOSSYFS_SOURCE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'lossyfs');

/** lossyfs's exit codes. */
export const LOSSYFS_EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  /** No /dev/fuse, not root, or the kernel refused the mount. */
  fuseUnavailable: 3,
  /** Nothing answers on the control socket. */
  noControl: 4,
} as const;

/** FUSE cannot be used on this machine (lossyfs exited with code 3). */
export class LossyFsUnavailableError extends BrokerUnavailableError {}

export type LossyFsMetadata = 'strict' | 'journal';

/** One surviving file whose unsynced bytes were dropped (path relative to the mount). */
export interface LossyFsFileDrop {
  path: string;
  sizeBefore: number;
  sizeAfter: number;
  /** revertedBytes + truncatedBytes. */
  droppedBytes: number;
  /** Durable bytes that had been overwritten, truncated or punched away, and are back. */
  revertedBytes: number;
  /** What had grown past the size at the last fsync. */
  truncatedBytes: number;
}

/** A name the drop took away (or brought back). */
export interface LossyFsNameDrop {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** For a removed file: the bytes it held (counted in droppedBytes). */
  size?: number;
  /** A removed name whose inode survives under its durable name (e.g. an unsynced rename). */
  durablePath?: string;
}

/** What `lossyfs drop` prints. */
export interface LossyFsDropSummary {
  metadata: LossyFsMetadata;
  droppedBytes: number;
  files: LossyFsFileDrop[];
  removed: LossyFsNameDrop[];
  restored: LossyFsNameDrop[];
  missing?: string[];
  durationMs: number;
}

/** What `lossyfs status` prints: what a drop would lose now. */
export interface LossyFsStatus {
  metadata: LossyFsMetadata;
  dirtyFiles: number;
  unsyncedBytes: number;
  changedDirs: number;
  pendingRenames: number;
  trash: number;
}

const GO_HINT = 'Install Go 1.22+ (https://go.dev/dl or Debian: apt-get install -y golang).';

/** The environment the Go toolchain runs in: module and build caches under the cache directory. */
export function lossyFsGoEnv(cacheDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOPATH: join(cacheDir, 'go', 'path'),
    GOCACHE: join(cacheDir, 'go', 'build-cache'),
    GOFLAGS: '-modcacherw',
    CGO_ENABLED: '0',
  };
}

/** The newest modification time among the sources that make the binary (tests excluded). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (!(name.endsWith('.go') || name === 'go.mod' || name === 'go.sum') || name.endsWith('_test.go'))
      continue;
    newest = Math.max(newest, statSync(join(dir, name)).mtimeMs);
  }
  return newest;
}

/**
 * Builds lossyfs into `<cacheDir>/bin/lossyfs` unless the binary there is newer than every source
 * file; returns its path. The first build downloads go-fuse from the Go module proxy.
 */
export async function buildLossyFs(
  cacheDir: string,
  options: { log?: (message: string) => void; sourceDir?: string } = {},
): Promise<string> {
  const sourceDir = options.sourceDir ?? LOSSYFS_SOURCE_DIR;
  const target = join(cacheDir, 'bin', 'lossyfs');
  const fresh = () => existsSync(target) && statSync(target).mtimeMs >= newestSource(sourceDir);
  if (fresh()) return target;
  const go = which('go');
  if (!go)
    throw new BrokerUnavailableError('`go` was not found on PATH (lossyfs is built from source)', {
      hint: GO_HINT,
    });
  return serialized('go', async () => {
    if (fresh()) return target;
    options.log?.(`building lossyfs with go build (${sourceDir})`);
    mkdirSync(dirname(target), { recursive: true });
    const partial = `${target}.${process.pid}.partial`;
    try {
      await runOrThrow('go build (lossyfs)', go, ['build', '-trimpath', '-o', partial, '.'], {
        cwd: sourceDir,
        env: lossyFsGoEnv(cacheDir),
        timeoutMs: 15 * 60_000,
        hint: 'Check that the Go module proxy is reachable (the first build downloads github.com/hanwen/go-fuse/v2).',
      });
      renameSync(partial, target);
    } finally {
      rmSync(partial, { force: true });
    }
    return target;
  });
}

export interface MountLossyFsOptions {
  /** The lossyfs binary (buildLossyFs). */
  binary: string;
  /** The directory whose content is the durable state; it must exist. */
  backing: string;
  /** Where the lossy view appears (created if missing). */
  mount: string;
  /** The control socket (default: a fresh path under the OS temp dir). */
  control?: string;
  /**
   * What makes name changes durable (default journal: any fsync, as ext4 in ordered mode does;
   * strict: only the directory's own fsync).
   */
  metadata?: LossyFsMetadata;
  /** Extra environment for the lossyfs process (e.g. an owner marker to find it by). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the mount (default 15 s). */
  timeoutMs?: number;
  /** Receives lossyfs's standard error lines. */
  onLog?: (line: string) => void;
}

export interface LossyFsMount {
  readonly pid: number;
  readonly backing: string;
  readonly mount: string;
  readonly control: string;
  readonly metadata: LossyFsMetadata;
  /** Power loss: every write not fsynced is dropped; returns what was. */
  drop(): Promise<LossyFsDropSummary>;
  /** Everything becomes durable (a clean shutdown, or `sync`). */
  sync(): Promise<LossyFsStatus>;
  /** What a drop would lose now. */
  status(): Promise<LossyFsStatus>;
  /** Unmounts (SIGTERM; lazily detached if still busy) and waits for lossyfs to exit. */
  unmount(): Promise<void>;
}

let controlCounter = 0;

/** Mounts lossyfs and resolves once the file system is up. */
export function mountLossyFs(options: MountLossyFsOptions): Promise<LossyFsMount> {
  const metadata = options.metadata ?? 'journal';
  const control =
    options.control ?? join(tmpdir(), `lossyfs-${process.pid}-${Date.now()}-${controlCounter++}.sock`);
  mkdirSync(options.mount, { recursive: true });
  const child = spawn(
    options.binary,
    [
      'mount',
      '--backing',
      options.backing,
      '--mount',
      options.mount,
      '--control',
      control,
      '--metadata',
      metadata,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
  );
  let stderr = '';
  let stdout = '';
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.on('error', (error) => {
      stderr += error.message;
      resolve(127);
    });
  });
  let partialErr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr = (stderr + text).slice(-20_000);
    if (options.onLog) {
      partialErr += text;
      const lines = partialErr.split('\n');
      partialErr = lines.pop() ?? '';
      for (const line of lines) options.onLog(line);
    }
  });
  return new Promise<LossyFsMount>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lossyfs did not mount ${options.mount} within ${options.timeoutMs ?? 15_000} ms`));
    }, options.timeoutMs ?? 15_000);
    const onData = (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.includes('"event":"mounted"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve(handleFor(child, exited, { ...options, control, metadata }, () => stderr));
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      const message = `lossyfs exited with code ${code} before mounting ${options.mount}:\n${tail(stderr, 10)}`;
      if (code === LOSSYFS_EXIT.fuseUnavailable) {
        reject(
          new LossyFsUnavailableError(message, {
            hint: 'lossyfs needs /dev/fuse and root (it mounts directly, without fusermount3).',
          }),
        );
      } else {
        reject(new Error(message));
      }
    });
  });
}

function handleFor(
  child: ChildProcess,
  exited: Promise<number>,
  o: MountLossyFsOptions & { control: string; metadata: LossyFsMetadata },
  stderr: () => string,
): LossyFsMount {
  let unmounting: Promise<void> | undefined;
  return {
    pid: child.pid!,
    backing: o.backing,
    mount: o.mount,
    control: o.control,
    metadata: o.metadata,
    drop: () => lossyFsControl<LossyFsDropSummary>(o.control, 'drop'),
    sync: () => lossyFsControl<LossyFsStatus>(o.control, 'sync'),
    status: () => lossyFsControl<LossyFsStatus>(o.control, 'status'),
    unmount() {
      unmounting ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const code = await Promise.race([exited, sleep(15_000).then(() => undefined)]);
        if (code === undefined) {
          child.kill('SIGKILL');
          await exited;
          throw new Error(`lossyfs did not exit after SIGTERM:\n${tail(stderr(), 10)}`);
        }
        if (code !== 0) throw new Error(`lossyfs exited with code ${code}:\n${tail(stderr(), 10)}`);
      })();
      return unmounting;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Sends one command (drop, sync, status, ping) to a running lossyfs over its control socket — also
 * from a process that did not mount it — and returns the result.
 */
export function lossyFsControl<T>(
  control: string,
  cmd: 'drop' | 'sync' | 'status' | 'ping',
  timeoutMs = 120_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const socket = createConnection(control);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`lossyfs ${cmd}: no answer on ${control} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${JSON.stringify({ cmd })}\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`lossyfs ${cmd}: cannot reach ${control}: ${error.message}`));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const line = data.split('\n')[0] ?? '';
      try {
        const answer = JSON.parse(line) as { ok: boolean; error?: string; result?: T };
        if (!answer.ok) reject(new Error(`lossyfs ${cmd}: ${answer.error ?? 'failed'}`));
        else resolve(answer.result as T);
      } catch {
        reject(new Error(`lossyfs ${cmd}: unreadable answer ${JSON.stringify(line.slice(0, 200))}`));
      }
    });
  });
}

/** Whether this machine can mount lossyfs at all (without trying): a reason when it cannot. */
export function lossyFsUnavailableReason(): string | undefined {
  if (!existsSync('/dev/fuse')) return '/dev/fuse is missing';
  if (process.getuid?.() !== 0) return 'lossyfs mounts directly and needs root';
  return undefined;
}

/** Whether `path` is a mount point of a lossyfs (from /proc/mounts). */
export function isLossyFsMounted(path: string): boolean {
  try {
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .some((line) => {
        const [source, target] = line.split(' ');
        return source?.startsWith('lossyfs') === true && target === path.replace(/ /g, '\\040');
      });
  } catch {
    return false;
  }
}
