// `npm run bench`: every broker benchmark (raw client against the harness, alternating rounds in
// one process each, medians) and the checker benchmark, in one table; `--json` prints one JSON
// document on stdout instead (progress goes to stderr). Benchmarks report numbers; nothing here
// passes or fails on speed.
// Usage: npm run bench [-- --json] [--only rabbitmq,nats,kafka,sqs,pubsub,checker] [--rounds 5]
//                      [--messages N] [--checker-events 10000000]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateHistory } from '../bench/checker/generate.ts';
import { type BenchRow, CPU_LEGEND, tableRow } from '../bench/shared/harness.ts';

const BROKER_BENCHES = ['rabbitmq', 'nats', 'kafka', 'sqs', 'pubsub'] as const;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    messages: { type: 'string' },
    'checker-events': { type: 'string', default: '10000000' },
  },
});
const only = values.only?.split(',').map((s) => s.trim());
const wanted = (name: string) => !only || only.includes(name);
const root = fileURLToPath(new URL('..', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

interface BrokerResult {
  bench: string;
  title?: string;
  rows: BenchRow[];
  error?: string;
}

/** One broker's bench in a process of its own; its JSON line, or why there is none. */
function runBrokerBench(name: string): Promise<BrokerResult> {
  const args = ['--import', 'tsx', join(root, 'bench', name, 'run.ts')];
  if (values.messages) args.push(values.messages);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_JSON: '1', BENCH_ROUNDS: values.rounds },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('close', (code) => {
      const line = out
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (code === 0 && line) {
        const parsed = JSON.parse(line) as { title: string; rows: BenchRow[] };
        resolve({ bench: name, title: parsed.title, rows: parsed.rows });
      } else resolve({ bench: name, rows: [], error: `exited with ${code}${line ? '' : ', no result'}` });
    });
  });
}

interface CheckerResult {
  events: number;
  checkMs: number;
  checkCpuMs: number;
  eventsPerSec: number;
  parseMs: number;
  peakMB: number;
}

/** The checker over a synthetic history (generated once into .cache/bench), in fresh processes. */
function runCheckerBench(events: number): CheckerResult {
  const cache = join(root, '.cache', 'bench');
  mkdirSync(cache, { recursive: true });
  const file = join(cache, `history-${events}.ndjson`);
  if (!existsSync(file)) {
    log(`generating ${events} events → ${file}`);
    generateHistory(file, events);
  }
  const measure = (mode: string) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        ['--max-old-space-size=4096', '--import', 'tsx', join(root, 'bench/checker/measure.ts'), mode, file],
        { encoding: 'utf8', cwd: root },
      ),
    ) as { events: number; ms: number; cpuMs: number; maxRssMB: number };
  log('checker: check');
  const check = measure('check');
  log('checker: parse floor (JSON.parse of every line)');
  const parse = measure('parse');
  return {
    events: check.events,
    checkMs: check.ms,
    checkCpuMs: check.cpuMs,
    eventsPerSec: Math.round(check.events / (check.ms / 1000)),
    parseMs: parse.ms,
    peakMB: check.maxRssMB,
  };
}

const brokers: BrokerResult[] = [];
for (const name of BROKER_BENCHES) {
  if (!wanted(name)) continue;
  log(`── ${name}`);
  brokers.push(await runBrokerBench(name));
}
const checker = wanted('checker') ? runCheckerBench(Number(values['checker-events'])) : undefined;

if (values.json) {
  process.stdout.write(`${JSON.stringify({ rounds: Number(values.rounds), brokers, checker }, null, 2)}\n`);
} else {
  const rows = brokers.flatMap((b) =>
    b.error
      ? [{ broker: b.bench, side: `failed: ${b.error}` }]
      : b.rows.map((r) => {
          const { phase: _, ...row } = tableRow(r);
          return { broker: r.bench, side: r.side, ...row };
        }),
  );
  if (rows.length) {
    console.log(
      `Brokers: medians of ${values.rounds} alternating raw/harness rounds. CPU µs/msg by process: ${CPU_LEGEND}`,
    );
    console.table(rows);
  }
  if (checker) {
    console.log(
      `Checker: ${checker.events} events in ${checker.checkMs} ms (${checker.checkCpuMs} ms CPU) = ${checker.eventsPerSec} events/s, ` +
        `peak ${checker.peakMB} MB; JSON.parse of every line alone: ${checker.parseMs} ms`,
    );
  }
}
process.exit(brokers.some((b) => b.error) ? 2 : 0);
