// Checker benchmark: synthetic histories of 10^5, 10^6 and 10^7 events. For each size, the time to
// read and JSON-parse the file (the floor) and the time to check it, events/s, and peak memory.
// Targets on a 2-core machine: check ≤ 3× parse, and 10^7 events in under 1.5 GB; at 10^7, at least
// 1M events/s as the median of the check runs, not only the best.
// Usage: npm run bench:checker [-- 100000 1000000] [--repeats 5]   (sizes optional; 3 runs each by default)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateHistory } from './generate.ts';

const args = process.argv.slice(2);
const repeatsAt = args.indexOf('--repeats');
const repeats = repeatsAt >= 0 ? Number(args.splice(repeatsAt, 2)[1]) : 3;
const sizes = args.map(Number).filter((n) => n > 0);
const cache = fileURLToPath(new URL('../../.cache/bench', import.meta.url));
mkdirSync(cache, { recursive: true });
const measure = fileURLToPath(new URL('./measure.ts', import.meta.url));

interface Measurement {
  mode: string;
  events: number;
  ms: number;
  cpuMs: number;
  maxRssMB: number;
}
const run = (mode: string, file: string): Measurement =>
  JSON.parse(
    execFileSync(process.execPath, ['--max-old-space-size=4096', '--import', 'tsx', measure, mode, file], {
      encoding: 'utf8',
    }),
  );
/** The runs, fastest first. */
const runs = (mode: string, file: string, count: number) =>
  Array.from({ length: count }, () => run(mode, file)).sort((a, b) => a.ms - b.ms);
/** The middle run (of an even count, the slower of the two middle ones). */
const median = (sorted: Measurement[]) => sorted[sorted.length >> 1]!;

const rows = [];
for (const size of sizes.length ? sizes : [1e5, 1e6, 1e7]) {
  const file = join(cache, `history-${size}.ndjson`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${size} events → ${file}\n`);
    generateHistory(file, size);
  }
  const parse = runs('parse', file, repeats)[0]!;
  const checks = runs('check', file, repeats);
  const check = checks[0]!;
  const typical = median(checks);
  const row = {
    events: check.events,
    fileMB: Math.round(statSync(file).size / 2 ** 20),
    parseMs: parse.ms,
    checkMs: check.ms,
    medianCheckMs: typical.ms,
    medianCheckCpuMs: typical.cpuMs,
    ratio: Math.round((check.ms / parse.ms) * 100) / 100,
    checkEventsPerSec: Math.round(check.events / (check.ms / 1000)),
    medianEventsPerSec: Math.round(typical.events / (typical.ms / 1000)),
    parsePeakMB: parse.maxRssMB,
    checkPeakMB: Math.max(...checks.map((c) => c.maxRssMB)),
  };
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}
console.table(rows);
const worst = Math.max(...rows.map((r) => r.ratio));
const largest = rows.at(-1)!;
console.log(
  `worst check/parse ratio ${worst} (target ≤ 3); at ${largest.events} events: median ${largest.medianEventsPerSec} events/s (target ≥ 1M at 10^7), peak memory ${largest.checkPeakMB} MB (target < 1536 MB at 10^7); load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
