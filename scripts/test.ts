// `npm test`'s runner: two lanes side by side — the files that talk to the shared real brokers one
// after another (their faults kill, pause and cut them), and beside them every file that needs no
// broker, then the cluster cases (each starts a cluster of its own in network namespaces, so it
// touches no shared broker). Broker files spend most of their time waiting on brokers, so the two
// lanes share two cores well.
// vitest's own scheduler cannot do this: projects limited to one worker all go into one sequential
// group. Arguments (file filters, vitest flags) go to both; the exit code is the worse of the two.
//
//   npm test                       # everything
//   npm test -- test/scenarios     # only files under test/scenarios, in whichever project has them
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const integration = process.env.BROKERPROOF_INTEGRATION !== '0';

// The tests' temporary files (histories, reports, state directories) go into one directory per
// run, removed when every lane passed and kept for a look when one failed. PostgreSQL runs as an
// unprivileged user and must reach its data directory in a test's state directory in here.
const scratch = mkdtempSync(join(tmpdir(), 'bp-test-'));
chmodSync(scratch, 0o711);
const env = { ...process.env, TMPDIR: scratch };

function start(project: string, buffered: boolean): { child: ChildProcess; output: Buffer[] } {
  const output: Buffer[] = [];
  const child = spawn(process.execPath, [vitest, 'run', '--project', project, '--passWithNoTests', ...args], {
    stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env,
  });
  if (buffered) {
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  }
  return { child, output };
}

const exited = (child: ChildProcess) =>
  new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));

const TITLES: Record<string, string> = {
  local: 'files that need no broker',
  clusters: 'cluster cases, each on a cluster of its own',
};
const live: ChildProcess[] = [];
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    interrupted = true;
    for (const child of live) child.kill(signal);
  });

/** Runs projects one after another; a buffered project is printed whole when it ends. */
async function lane(
  projects: readonly string[],
  buffered: boolean,
): Promise<{ name: string; code: number }[]> {
  const codes: { name: string; code: number }[] = [];
  for (const name of projects) {
    if (interrupted) break;
    const run = start(name, buffered);
    live.push(run.child);
    const code = await exited(run.child);
    if (run.output.length > 0) {
      process.stdout.write(`\n──── ${name} (${TITLES[name] ?? name}) ────\n`);
      process.stdout.write(Buffer.concat(run.output));
    }
    codes.push({ name, code });
  }
  return codes;
}

const runs = (
  await Promise.all([
    ...(integration ? [lane(['brokers'], false)] : []),
    // Printed whole when each ends, so the reports do not interleave line by line.
    lane(integration ? ['local', 'clusters'] : ['local'], integration),
  ])
).flat();
const codes = runs.map((r) => r.code);
const failed = runs.filter((r) => r.code !== 0).map((r) => r.name);
const names = runs.map((r) => r.name).join(', ');
process.stdout.write(
  failed.length ? `\nnpm test: ${failed.join(' and ')} failed\n` : `\nnpm test: ${names} passed\n`,
);
if (failed.length > 0 || interrupted)
  process.stdout.write(`npm test: the tests' temporary files are in ${scratch}\n`);
else rmSync(scratch, { recursive: true, force: true });
process.exit(interrupted ? 130 : Math.max(0, ...codes));
