// Power-loss chaos: each broker's setup that acknowledges before fsync beside the one that fsyncs
// first, under `power-loss` with the consumers' link cut now and then (so acknowledged messages
// wait in the broker when the power goes). Each pass runs on a dedicated broker on lossyfs; needs
// root and /dev/fuse. Long (minutes a pass): behind `npm run chaos:power-loss`, not in `npm test`.
//
//   npm run chaos:power-loss                          # every pass, 10 cases each
//   npm run chaos:power-loss -- --runs 3 --seed 5 nats  # one broker's passes, fewer cases
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** [driver, setup]: the default first, then the setup that claims to survive a power loss. */
const PASSES: Record<string, [string, string][]> = {
  nats: [
    ['nats', 'jetstream'],
    ['nats', 'jetstream-sync-always'],
  ],
  kafka: [
    ['kafka', 'commit-after-process'],
    ['kafka', 'fsync-each'],
  ],
  rabbitmq: [
    ['rabbitmq', 'classic'],
    ['rabbitmq', 'quorum'],
  ],
};
const FAULTS = 'power-loss,partition@consumers';

const args = process.argv.slice(2);
const numberAfter = (flag: string, fallback: number) => {
  const at = args.indexOf(flag);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const runs = numberAfter('--runs', 10);
const seed = numberAfter('--seed', 19);
const named = args.filter((a, k) => !a.startsWith('--') && !['--runs', '--seed'].includes(args[k - 1] ?? ''));
const brokers = named.length ? named : Object.keys(PASSES);
const outRoot = resolve('chaos-report', 'power-loss');
const bin = new URL('../bin/brokerproof.js', import.meta.url).pathname;

const rows: string[] = [];
let failed = false;
for (const broker of brokers) {
  for (const [driver, setup] of PASSES[broker] ?? []) {
    const out = join(outRoot, `${driver}-${setup}`);
    mkdirSync(out, { recursive: true });
    const argv = [
      ...['run', '--driver', driver, '--setup', setup, '--scenario', 'work-queue', '--faults', FAULTS],
      ...['--runs', String(runs), '--seed', String(seed), '--shrink-time', '0', '--out', out],
      ...['--json', '--no-progress'],
    ];
    const started = Date.now();
    const child = spawnSync(process.execPath, [bin, ...argv], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    let line = `${driver}/${setup}: exit ${child.status}, ${minutes} min`;
    try {
      const doc = JSON.parse(child.stdout) as {
        valid: unknown;
        faultCoverage: string;
        cases: { valid: unknown; counts: { lost?: number; acknowledged?: number } }[];
      };
      const lost = doc.cases.reduce((n, c) => n + (c.counts.lost ?? 0), 0);
      const violated = doc.cases.filter((c) => c.valid === false).length;
      line += `, ${doc.cases.length} cases, ${violated} violated, ${lost} acknowledged messages lost; ${doc.faultCoverage}`;
    } catch {
      failed = true;
      line += ', no JSON result';
    }
    if (child.status === 2 || child.status === null) failed = true;
    rows.push(line);
    process.stderr.write(`${line}\n`);
  }
}
writeFileSync(join(outRoot, 'summary.txt'), `${rows.join('\n')}\n`);
process.stdout.write(`${rows.join('\n')}\nreports in ${outRoot}\n`);
process.exitCode = failed ? 2 : 0;
