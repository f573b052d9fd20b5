// `npm test`'s runner: two vitest processes side by side — the files that talk to real brokers one
// after another (their faults kill, pause and cut the shared brokers), and every other file beside
// them. Broker files spend most of their time waiting on brokers, so the two share two cores well.
// vitest's own scheduler cannot do this: projects limited to one worker all go into one sequential
// group. Arguments (file filters, vitest flags) go to both; the exit code is the worse of the two.
//
//   npm test                       # everything
//   npm test -- test/scenarios     # only files under test/scenarios, in whichever project has them
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const integration = process.env.BROKERPROOF_INTEGRATION !== '0';

function start(project: string, buffered: boolean): { child: ChildProcess; output: Buffer[] } {
  const output: Buffer[] = [];
  const child = spawn(process.execPath, [vitest, 'run', '--project', project, '--passWithNoTests', ...args], {
    stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env: process.env,
  });
  if (buffered) {
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  }
  return { child, output };
}

const exited = (child: ChildProcess) =>
  new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));

const runs = [
  ...(integration ? [{ name: 'brokers', ...start('brokers', false) }] : []),
  // Printed whole when it ends, so the two reports do not interleave line by line.
  { name: 'local', ...start('local', integration) },
];
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    for (const r of runs) r.child.kill(signal);
  });

const codes = await Promise.all(
  runs.map(async (r) => {
    const code = await exited(r.child);
    if (r.output.length > 0) {
      process.stdout.write(`\n──── ${r.name} (files that need no broker) ────\n`);
      process.stdout.write(Buffer.concat(r.output));
    }
    return code;
  }),
);
const failed = runs.filter((_, k) => codes[k] !== 0).map((r) => r.name);
const names = runs.map((r) => r.name).join(' and ');
process.stdout.write(
  failed.length ? `\nnpm test: ${failed.join(' and ')} failed\n` : `\nnpm test: ${names} passed\n`,
);
process.exit(Math.max(...codes));
