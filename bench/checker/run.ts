// Checker benchmark: synthetic histories of 10^5, 10^6 and 10^7 events. For each size, the time to
// read and JSON-parse the file (the floor) and the time to check it, events/s, and peak memory.
// Targets on a 2-core machine: check ≤ 3× parse, and 10^7 events in under 1.5 GB.
// Usage: npm run bench:checker [-- 100000 1000000]   (sizes optional)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateHistory } from './generate.ts';

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const cache = fileURLToPath(new URL('../../.cache/bench', import.meta.url));
mkdirSync(cache, { recursive: true });
const measure = fileURLToPath(new URL('./measure.ts', import.meta.url));

interface Measurement {
  mode: string;
  events: number;
  ms: number;
  maxRssMB: number;
}
const run = (mode: string, file: string): Measurement =>
  JSON.parse(
    execFileSync(process.execPath, ['--max-old-space-size=4096', '--import', 'tsx', measure, mode, file], {
      encoding: 'utf8',
    }),
  );
const best = (mode: string, file: string, repeats: number) =>
  Array.from({ length: repeats }, () => run(mode, file)).sort((a, b) => a.ms - b.ms)[0]!;

const rows = [];
for (const size of sizes.length ? sizes : [1e5, 1e6, 1e7]) {
  const file = join(cache, `history-${size}.ndjson`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${size} events → ${file}\n`);
    generateHistory(file, size);
  }
  const repeats = size >= 1e7 ? 1 : 3;
  const parse = best('parse', file, repeats);
  const check = best('check', file, repeats);
  const row = {
    events: check.events,
    fileMB: Math.round(statSync(file).size / 2 ** 20),
    parseMs: parse.ms,
    checkMs: check.ms,
    ratio: Math.round((check.ms / parse.ms) * 100) / 100,
    checkEventsPerSec: Math.round(check.events / (check.ms / 1000)),
    parsePeakMB: parse.maxRssMB,
    checkPeakMB: check.maxRssMB,
  };
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}
console.table(rows);
const worst = Math.max(...rows.map((r) => r.ratio));
const largest = rows.at(-1)!;
console.log(
  `worst check/parse ratio ${worst} (target ≤ 3); peak memory at ${largest.events} events: ${largest.checkPeakMB} MB (target < 1536 MB at 10^7)`,
);
