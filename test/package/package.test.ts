/**
 * brokerproof as others get it: the packed tarball installed into an empty project (CLI, plain
 * Node ESM, TypeScript types), and the example project using it through `file:` with its own
 * vitest suite. One file, in order: both need the build (dist/), made once here.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAction, runAction } from './action-steps.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'orders-service');
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'];

function sh(command: string, args: string[], cwd: string, timeoutMs = 240_000): SpawnSyncReturns<string> {
  const { BROKERPROOF_INTEGRATION: _, ...env } = process.env;
  return spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...env, CI: '1', NO_COLOR: '1' },
  });
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  if (result.status !== 0)
    throw new Error(
      `${what} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
    );
  return result.stdout;
}

beforeAll(() => {
  ok(sh('npm', ['run', 'build'], ROOT), 'npm run build');
}, 240_000);

describe('the packed tarball in an empty project', () => {
  const work = mkdtempSync(join(tmpdir(), 'bp-package-'));
  const project = join(work, 'project');
  let files: string[] = [];

  beforeAll(() => {
    // --ignore-scripts: the build above is the one packed (prepare would build it again).
    const packed = JSON.parse(
      ok(sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT), 'npm pack'),
    ) as { filename: string; files: { path: string }[] }[];
    files = packed[0]!.files.map((f) => f.path);
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'empty', version: '1.0.0', private: true, type: 'module' }),
    );
    ok(
      sh('npm', ['install', ...NPM_FLAGS, join(work, packed[0]!.filename), 'vitest@4.1.12'], project),
      'npm install of the tarball',
    );
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships JavaScript, declarations and source maps, not the TypeScript sources or the tests', () => {
    for (const file of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/index.js.map',
      'dist/vitest.js',
      'bin/brokerproof.js',
    ])
      expect(files).toContain(file);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /(^|\/)test\/|\.test\./.test(f))).toEqual([]);
  });

  it('runs the CLI: a run on the memory broker exits 0, a bad custom setup exits 2 naming the key', () => {
    const bin = join(project, 'node_modules', '.bin', 'brokerproof');
    const version = sh(bin, ['--version'], project);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    const run = sh(
      bin,
      ['run', '--scenario', 'work-queue', '--runs', '1', '--messages', '40', '--no-progress'],
      project,
    );
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(join(project, 'brokerproof-report', 'results.json'))).toBe(true);
    writeFileSync(
      join(project, 'bad.config.json'),
      JSON.stringify({ setups: [{ name: 'q', extends: 'memory/queue', options: { prefetsh: 2 } }] }),
    );
    const bad = sh(bin, ['run', '--config', 'bad.config.json'], project);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('setups.0.options: unknown option "prefetsh" for memory/queue');
  });

  it('imports the library and brokerproof/vitest from plain Node ESM', () => {
    writeFileSync(
      join(project, 'use.mjs'),
      `import { defineConfig, defineSetup, run, check, planCases } from 'brokerproof';
import { conformance } from 'brokerproof/vitest';
const config = defineConfig({ setups: [defineSetup({ name: 'q', extends: 'memory/queue' })], scenarios: ['work-queue'], runs: 1 });
const planned = await planCases(config);
console.log(JSON.stringify({ ids: planned.ids, kinds: [typeof run, typeof check, typeof conformance] }));
`,
    );
    const out = JSON.parse(ok(sh(process.execPath, ['use.mjs'], project), 'node use.mjs'));
    expect(out).toEqual({ ids: ['memory.q.work-queue.0'], kinds: ['function', 'function', 'function'] });
  });

  it('gives TypeScript the types: a correct use compiles, a wrong one does not', () => {
    writeFileSync(
      join(project, 'use.ts'),
      `import { type BrokerproofConfig, defineConfig, run, type RunOutcome } from 'brokerproof';
import { conformance } from 'brokerproof/vitest';
const config: BrokerproofConfig = defineConfig({ setups: [{ name: 'q', extends: 'rabbitmq/quorum' }], runs: 1 });
const outcome: Promise<RunOutcome> = run(config);
conformance(config, { timeoutMs: 60_000 });
// @ts-expect-error runs is a number
defineConfig({ runs: 'many' });
void outcome;
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['use.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    const good = sh(tsc, ['-p', '.'], project);
    expect(good.status, good.stdout).toBe(0);
    writeFileSync(join(project, 'use.ts'), `import { run } from 'brokerproof';\nrun({ runs: 'many' });\n`);
    const wrong = sh(tsc, ['-p', '.'], project);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout).toMatch(/use\.ts\(2,\d+\): error TS2322/);
  });
});

describe('examples/orders-service', () => {
  const broken = join(EXAMPLE, '.broken-handler');

  beforeAll(() => {
    if (!existsSync(join(EXAMPLE, 'node_modules', 'vitest')))
      ok(sh('npm', ['ci', ...NPM_FLAGS], EXAMPLE), 'npm ci in the example');
  }, 240_000);
  afterAll(() => rmSync(broken, { recursive: true, force: true }));

  it('npm test passes: each conformance case is a vitest test named by its case id', () => {
    const result = sh('npm', ['test'], EXAMPLE);
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/Tests\s+\S*14 passed/);
  });

  it('fails with the anomaly in the message once its handler acks before processing', () => {
    rmSync(broken, { recursive: true, force: true });
    for (const part of ['src', 'test', 'brokerproof.config.ts', 'vitest.config.ts'])
      cpSync(join(EXAMPLE, part), join(broken, part), { recursive: true });
    const handler = join(broken, 'src', 'orders', 'handle-order.ts');
    const correct = readFileSync(handler, 'utf8');
    const ackFirst = correct.replace(
      'async (message) => {',
      'async (message, context) => {\n  await context.ack();',
    );
    expect(ackFirst).not.toBe(correct);
    writeFileSync(handler, ackFirst);
    // Run from the copy: its config and handler (node_modules is the example's, one level up).
    const result = sh(join(EXAMPLE, 'node_modules', '.bin', 'vitest'), ['run'], broken);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).toBe(1);
    expect(output).toMatch(/FAIL .*memory\.orders-(queue|priority)\.work-queue\.\d/);
    expect(output).toMatch(/VIOLATED — orders-(queue|priority) claims at-least-once/);
    expect(output).toMatch(/lost: \d+ \(m\d+/);
    expect(output).toContain(join(broken, 'brokerproof-report', 'index.html'));
  });
});

describe('the GitHub action (.github/actions/brokerproof), its steps run as the runner would', () => {
  const action = readAction(join(ROOT, '.github', 'actions', 'brokerproof', 'action.yml'));
  const inExample = (inputs: Record<string, string>) =>
    runAction(action, ROOT, { 'working-directory': 'examples/orders-service', ...inputs });

  it('every claim held: exit 0, report uploaded, summary.md on the job summary', () => {
    const run = inExample({ 'report-dir': 'ci-report-ok', args: '--runs 1' });
    expect(run.code, JSON.stringify(run.steps, null, 1)).toBe(0);
    expect(run.outputs.run).toEqual({ 'exit-code': '0' });
    expect(run.uses).toEqual([
      {
        uses: 'actions/upload-artifact@v4',
        with: {
          name: 'brokerproof-report',
          path: 'examples/orders-service/ci-report-ok',
          'if-no-files-found': 'warn',
        },
      },
    ]);
    expect(existsSync(join(EXAMPLE, 'ci-report-ok', 'results.json'))).toBe(true);
    expect(run.summary).toBe(readFileSync(join(EXAMPLE, 'ci-report-ok', 'summary.md'), 'utf8'));
    expect(run.summary.length).toBeGreaterThan(0);
    // No brokers were asked for, so none were stopped.
    expect(run.steps.map((s) => s.name)).not.toContain('Brokers down');
  });

  it('a violation fails the job (exit 1) after uploading and summarising', () => {
    const run = inExample({
      'report-dir': 'ci-report-violated',
      args: '--setup orders-queue --scenario work-queue --guarantee exactly-once --runs 1 --shrink-time 0',
    });
    expect(run.outputs.run).toEqual({ 'exit-code': '1' });
    expect(run.code).toBe(1);
    expect(run.steps.at(-1)?.stdout).toContain('::error title=brokerproof::');
    expect(run.uses).toHaveLength(1);
    expect(run.summary).toMatch(/duplicated|violated|✗/i);
  });

  it('could not decide (exit 2): a warning, the job goes on', () => {
    const run = inExample({ 'report-dir': 'ci-report-undecided', args: '--setup no-such-setup' });
    expect(run.outputs.run).toEqual({ 'exit-code': '2' });
    expect(run.code).toBe(0);
    expect(run.steps.at(-1)?.stdout).toContain('::warning title=brokerproof::');
    expect(run.summary).toContain('brokerproof wrote no summary');
  });

  afterAll(() => {
    for (const dir of ['ci-report-ok', 'ci-report-violated', 'ci-report-undecided'])
      rmSync(join(EXAMPLE, dir), { recursive: true, force: true });
  });

  it('the example workflow uses this action on the example project', () => {
    const workflow = readFileSync(join(ROOT, '.github', 'workflows', 'conformance-example.yml'), 'utf8');
    expect(workflow).toContain('uses: ./.github/actions/brokerproof');
    expect(workflow).toContain('working-directory: examples/orders-service');
  });
});

describe('the README section "In your repository"', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## In your repository'),
    readme.indexOf('\n## ', readme.indexOf('## In your repository') + 5),
  );
  const commands = [...section.matchAll(/^\$ (.*?)\s*(#.*)?$/gm)].map((m) => m[1]);

  it('shows the example project as it is: its config and its test file verbatim', () => {
    for (const [file, label] of [
      ['brokerproof.config.ts', '// brokerproof.config.ts'],
      [join('test', 'conformance.test.ts'), '// test/conformance.test.ts'],
    ] as const)
      expect(section).toContain(`${label}\n${readFileSync(join(EXAMPLE, file), 'utf8')}`);
  });

  it('shows only commands these tests run', () => {
    // npm pack and the tarball install: the first describe (vitest pinned there, to stay offline);
    // npm ci and npm test in the example: the second; npx brokerproof run there: the action's run step.
    expect(commands).toEqual([
      'npm pack',
      'npm install --save-dev /path/to/brokerproof-0.1.0.tgz vitest',
      'cd examples/orders-service',
      'npm ci',
      'npm test',
      'npx brokerproof run',
    ]);
    const action = readFileSync(join(ROOT, '.github', 'actions', 'brokerproof', 'action.yml'), 'utf8');
    expect(action).toContain('npx brokerproof run ');
  });
});
