// A chaos pass: for each broker, one setup under every fault it can take, N drawn cases, and the
// fault coverage each pass reached. Long (minutes per broker): behind `npm run chaos`, not in `npm test`.
//
//   npm run chaos                       # every broker, 10 cases each
//   npm run chaos -- --runs 3 nats sqs  # a subset, fewer cases (rabbitmq, kafka, nats, sqs, pubsub)
//   npm run soak                        # every broker, one 5-minute case with faults throughout
//   npm run soak -- --soak 30 kafka     # one broker, a 30-minute case
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

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
  // No broker faults: the emulator keeps everything in memory (drivers/pubsub/setups.ts).
  pubsub: {
    driver: 'pubsub',
    setup: 'pull',
    scenario: 'work-queue',
    faults: ['consumer-crash', 'partition', 'latency'],
  },
};

/** Says what was wrong and how to call it; exits 2 before any case runs. */
function usage(message: string): never {
  console.error(`chaos: ${message}`);
  console.error('usage: npm run chaos -- [--runs N] [--seed N] [--soak MINUTES] [broker ...]');
  console.error(`brokers: ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}

const parsed = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      // `npm run soak` passes its own --soak and --runs first; one given after them wins.
      options: {
        runs: { type: 'string', multiple: true },
        seed: { type: 'string', multiple: true },
        soak: { type: 'string', multiple: true },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
})();
const last = (values: string[] | undefined) => values?.at(-1);
function wholeNumber(name: string, value: string | undefined, fallback: number, least: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < least)
    usage(`--${name} must be a whole number ≥ ${least} (got "${value}")`);
  return n;
}
const runs = wholeNumber('runs', last(parsed.values.runs), 10, 1);
const seed = wholeNumber('seed', last(parsed.values.seed), 77, 0);
const soak = last(parsed.values.soak);
if (soak !== undefined && !(Number(soak) > 0))
  usage(`--soak must be a number of minutes above 0 (got "${soak}")`);
const unknown = parsed.positionals.filter((name) => !TARGETS[name]);
if (unknown.length) usage(`no chaos target for ${unknown.map((n) => `"${n}"`).join(', ')}`);
const brokers = parsed.positionals.length ? parsed.positionals : Object.keys(TARGETS);
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
/** The table of the passes so far, written after each one: an interrupted run keeps what finished. */
function summarise(): string {
  const table = [
    '| broker | setup | cases | held | violated | unknown | fault coverage | minutes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.broker} | ${TARGETS[r.broker]!.setup} | ${r.cases} | ${r.held} | ${r.violated} | ${r.unknown} | ${r.coverage} | ${r.minutes.toFixed(1)} |`,
    ),
  ].join('\n');
  writeFileSync(join(outRoot, 'summary.md'), `${table}\n`);
  return table;
}
for (const broker of brokers) {
  const target = TARGETS[broker]!;
  console.error(
    `${soak !== undefined ? `soak (${soak} min a case)` : 'chaos'}: ${broker} ${target.setup} ${target.scenario}, faults ${target.faults.join(',')}, ${runs} cases`,
  );
  results.push(await runPass(broker, target));
  summarise();
}
console.log(summarise());
process.exit(results.some((r) => r.exit === 1) ? 1 : results.some((r) => r.exit !== 0) ? 2 : 0);
