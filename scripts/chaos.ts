// A chaos pass: for each broker, one setup under every fault it can take, N drawn cases, and the
// fault coverage each pass reached. Long (minutes per broker): behind `npm run chaos`, not in `npm test`.
//
//   npm run chaos                       # every broker, 10 cases each
//   npm run chaos -- --runs 3 nats sqs  # a subset, fewer cases
//   npm run soak                        # every broker, one 5-minute case with faults throughout
//   npm run soak -- --soak 30 kafka     # one broker, a 30-minute case
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

interface ChaosTarget {
  driver: string;
  setup: string;
  scenario: string;
  faults: string[];
}

/** Each broker's workhorse setup, claimed as it honestly is, under everything that can hurt it. */
const TARGETS: Record<string, ChaosTarget> = {
  rabbitmq: {
    driver: 'rabbitmq',
    setup: 'quorum',
    scenario: 'work-queue',
    faults: ['consumer-crash', 'partition', 'latency', 'broker-kill', 'broker-pause'],
  },
  kafka: {
    driver: 'kafka',
    setup: 'commit-after-process',
    scenario: 'work-queue',
    faults: ['consumer-crash', 'partition', 'latency', 'broker-kill', 'broker-pause'],
  },
  nats: {
    driver: 'nats',
    setup: 'jetstream',
    scenario: 'work-queue',
    faults: ['consumer-crash', 'partition', 'latency', 'broker-kill', 'broker-pause'],
  },
  sqs: {
    driver: 'sqs',
    setup: 'standard',
    scenario: 'work-queue',
    faults: ['consumer-crash', 'partition', 'latency', 'broker-pause'],
  },
};

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 10;
const seedAt = args.indexOf('--seed');
const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : 77;
const soakAt = args.lastIndexOf('--soak');
const soak = soakAt >= 0 ? args[soakAt + 1] : undefined;
const valued = new Set(['--runs', '--seed', '--soak']);
const named = args.filter((a, k) => !a.startsWith('--') && !valued.has(args[k - 1]!));
const brokers = named.length ? named : Object.keys(TARGETS);
const outRoot = resolve(soak !== undefined ? 'soak-report' : 'chaos-report');
const bin = new URL('../bin/brokerproof.js', import.meta.url).pathname;

interface PassResult {
  broker: string;
  exit: number;
  valid: unknown;
  cases: number;
  held: number;
  violated: number;
  unknown: number;
  coverage: string;
  minutes: number;
}

function runPass(broker: string, target: ChaosTarget): Promise<PassResult> {
  const out = join(outRoot, broker);
  const argv = [
    'run',
    ...['--driver', target.driver, '--setup', target.setup, '--scenario', target.scenario],
    ...['--faults', target.faults.join(','), '--runs', String(runs), '--seed', String(seed)],
    ...['--shrink-time', '0', '--out', out, '--json', '--no-progress'],
    ...(soak !== undefined ? ['--soak', soak] : []),
  ];
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('exit', (code) => {
      let doc: { valid?: unknown; faultCoverage?: string; cases?: { valid: unknown }[] } = {};
      try {
        doc = JSON.parse(stdout);
      } catch {}
      const cases = doc.cases ?? [];
      done({
        broker,
        exit: code ?? 2,
        valid: doc.valid,
        cases: cases.length,
        held: cases.filter((c) => c.valid === true).length,
        violated: cases.filter((c) => c.valid === false).length,
        unknown: cases.filter((c) => c.valid === 'unknown').length,
        coverage: doc.faultCoverage ?? '(no results)',
        minutes: (Date.now() - started) / 60_000,
      });
    });
  });
}

mkdirSync(outRoot, { recursive: true });
const results: PassResult[] = [];
for (const broker of brokers) {
  const target = TARGETS[broker];
  if (!target) {
    console.error(`chaos: no target for "${broker}" (known: ${Object.keys(TARGETS).join(', ')})`);
    process.exit(2);
  }
  console.error(
    `${soak !== undefined ? `soak (${soak} min a case)` : 'chaos'}: ${broker} ${target.setup} ${target.scenario}, faults ${target.faults.join(',')}, ${runs} cases`,
  );
  results.push(await runPass(broker, target));
}
const table = [
  '| broker | setup | cases | held | violated | unknown | fault coverage | minutes |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map(
    (r) =>
      `| ${r.broker} | ${TARGETS[r.broker]!.setup} | ${r.cases} | ${r.held} | ${r.violated} | ${r.unknown} | ${r.coverage} | ${r.minutes.toFixed(1)} |`,
  ),
].join('\n');
writeFileSync(join(outRoot, 'summary.md'), `${table}\n`);
console.log(table);
process.exit(results.some((r) => r.exit === 1) ? 1 : results.some((r) => r.exit !== 0) ? 2 : 0);
