/**
 * lossyfs for real: built from native/lossyfs with the Go toolchain (cached), mounted over a temp
 * directory, written to with Node's fs, then a power loss (drop) — and its Go tests, so CI runs them.
 * Skips with the reason when this machine has no FUSE (no /dev/fuse, not root).
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildLossyFs,
  isLossyFsMounted,
  LOSSYFS_EXIT,
  LOSSYFS_SOURCE_DIR,
  type LossyFsMount,
  lossyFsGoEnv,
  lossyFsUnavailableReason,
  mountLossyFs,
} from '../../native/lossyfs.ts';
import { resolvePaths } from '../../provision/local/paths.ts';

const cacheDir = resolvePaths().cache;
const unavailable = lossyFsUnavailableReason();
if (unavailable) process.stderr.write(`lossyfs mount tests skipped: ${unavailable}\n`);

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeFile(path: string, data: string, options: { fsync: boolean; flag?: string }): void {
  const fd = openSync(path, options.flag ?? 'a');
  try {
    writeSync(fd, data);
    if (options.fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

describe('lossyfs', () => {
  let binary: string;
  let work: string;
  const mounts: LossyFsMount[] = [];

  beforeAll(async () => {
    binary = await buildLossyFs(cacheDir, { log: (line) => process.stderr.write(`${line}\n`) });
    work = mkdtempSync(join(tmpdir(), 'lossyfs-test-'));
  }, 600_000);

  afterAll(async () => {
    for (const m of mounts) await m.unmount().catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function mount(name: string, metadata?: 'strict' | 'journal'): Promise<LossyFsMount> {
    const backing = join(work, `${name}-backing`);
    mkdirSync(backing, { recursive: true });
    const m = await mountLossyFs({ binary, backing, mount: join(work, `${name}-mount`), metadata });
    mounts.push(m);
    return m;
  }

  it.skipIf(unavailable)('drops what Node wrote but did not fsync, keeps what it did', async () => {
    const m = await mount('node', 'strict');
    const at = (name: string) => join(m.mount, name);
    writeFile(at('synced'), 'A'.repeat(4096), { fsync: true });
    writeFile(at('torn'), 'A'.repeat(4096), { fsync: true });
    writeFile(at('renamed'), 'R', { fsync: true });
    writeFile(at('truncated'), '0123456789', { fsync: true });
    fsyncPath(m.mount);

    writeFile(at('torn'), 'B'.repeat(1000), { fsync: false });
    writeFile(at('new'), 'N', { fsync: true }); // its directory is never fsynced again
    renameSync(at('renamed'), at('renamed-to'));
    truncateSync(at('truncated'), 3);
    expect(readFileSync(at('torn'), 'utf8')).toHaveLength(5096); // reads see unsynced data
    expect(await m.status()).toMatchObject({ dirtyFiles: 2, unsyncedBytes: 1000 + 7, pendingRenames: 0 });

    const dropped = await m.drop();
    expect(dropped.droppedBytes).toBe(1000 + 1 + 7);
    expect(dropped.files.map((f) => f.path).sort()).toEqual(['torn', 'truncated']);
    expect(dropped.files.find((f) => f.path === 'torn')).toMatchObject({
      sizeBefore: 5096,
      sizeAfter: 4096,
      truncatedBytes: 1000,
    });
    expect(dropped.removed).toEqual([
      { path: 'new', type: 'file', size: 1 },
      { path: 'renamed-to', type: 'file', durablePath: 'renamed' },
    ]);
    expect(dropped.restored).toEqual([{ path: 'renamed', type: 'file', size: 1 }]);

    expect(readFileSync(at('synced'), 'utf8')).toBe('A'.repeat(4096));
    expect(readFileSync(at('torn'), 'utf8')).toBe('A'.repeat(4096));
    expect(readFileSync(at('renamed'), 'utf8')).toBe('R');
    expect(readFileSync(at('truncated'), 'utf8')).toBe('0123456789');
    expect(existsSync(at('new'))).toBe(false);
    expect(existsSync(at('renamed-to'))).toBe(false);
    expect(readdirSync(m.mount).sort()).toEqual(['renamed', 'synced', 'torn', 'truncated']);
    // The backing directory is the durable state too.
    expect(readFileSync(join(m.backing, 'torn'), 'utf8')).toBe('A'.repeat(4096));

    // After a directory fsync a new file and a rename survive.
    writeFileSync(at('later'), 'L');
    renameSync(at('renamed'), at('renamed-2'));
    fsyncPath(m.mount);
    const second = await m.drop();
    expect(second.removed).toEqual([]);
    expect(readFileSync(at('later'), 'utf8')).toBe(''); // the name is durable, its data was not fsynced
    expect(readFileSync(at('renamed-2'), 'utf8')).toBe('R');

    await m.unmount();
    expect(isLossyFsMounted(m.mount)).toBe(false);
    expect(readFileSync(join(m.backing, 'renamed-2'), 'utf8')).toBe('R');
  });

  it.skipIf(unavailable)('journal mode: any fsync makes name changes durable', async () => {
    const m = await mount('journal', 'journal');
    writeFile(join(m.mount, 'a'), 'a', { fsync: true });
    const dropped = await m.drop();
    expect(dropped.metadata).toBe('journal');
    expect(readFileSync(join(m.mount, 'a'), 'utf8')).toBe('a');
    await m.unmount();
  });

  it.skipIf(unavailable)('the command line: drop prints JSON, exit codes', async () => {
    const m = await mount('cli');
    writeFile(join(m.mount, 'f'), 'x'.repeat(100), { fsync: false, flag: 'w' });
    const drop = spawnSync(binary, ['drop', '--control', m.control], { encoding: 'utf8' });
    expect(drop.status).toBe(LOSSYFS_EXIT.ok);
    const summary = JSON.parse(drop.stdout);
    expect(summary.droppedBytes).toBe(100);
    expect(summary.removed).toEqual([{ path: 'f', type: 'file', size: 100 }]);
    await m.unmount();

    const gone = spawnSync(binary, ['drop', '--control', m.control], { encoding: 'utf8' });
    expect(gone.status).toBe(LOSSYFS_EXIT.noControl);
    expect(spawnSync(binary, [], { encoding: 'utf8' }).status).toBe(LOSSYFS_EXIT.usage);
    const bad = spawnSync(
      binary,
      ['mount', '--backing', join(work, 'nope'), '--mount', join(work, 'nope-m')],
      {
        encoding: 'utf8',
      },
    );
    expect(bad.status).toBe(LOSSYFS_EXIT.usage);
  });

  it('passes its Go tests (go test ./... in native/lossyfs)', () => {
    const result = spawnSync('go', ['test', '-count=1', './...'], {
      cwd: LOSSYFS_SOURCE_DIR,
      env: lossyFsGoEnv(cacheDir),
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (result.status !== 0) throw new Error(`go test failed:\n${result.stdout}\n${result.stderr}`);
    expect(result.stdout).toMatch(/^ok\s/m);
  }, 300_000);
});
