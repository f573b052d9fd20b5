// One measurement in a fresh process, so peak memory (max RSS) belongs to that measurement alone.
// Usage: measure.ts parse|check <file>   → prints {"mode","events","ms","cpuMs","maxRssMB"}
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { checkHistoryFile } from '../../runner/check-history-file.ts';

const [mode, file] = process.argv.slice(2) as ['parse' | 'check', string];

/** The floor: read the file and JSON.parse every line, nothing else. */
async function parseOnly(path: string): Promise<number> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let count = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const text = rest + decoder.write(chunk as Buffer);
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      if (nl > start) {
        JSON.parse(text.slice(start, nl));
        count++;
      }
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    rest = text.slice(start);
  }
  return count;
}

const started = performance.now();
const cpuBefore = process.cpuUsage();
let events: number;
if (mode === 'parse')
  events = (await parseOnly(file)) - 1; // minus the meta line
else {
  const { result, eventCount } = await checkHistoryFile(file, {
    claim: { delivery: 'at-least-once', ordering: 'per-key', maxAttempts: 3 },
  });
  events = eventCount;
  if (result.counts.attempted === 0) throw new Error('checker saw no messages');
}
const ms = performance.now() - started;
// CPU time beside wall time: on a shared machine the wall time also counts other processes' turns.
const cpu = process.cpuUsage(cpuBefore);
const usage = process.resourceUsage();
process.stdout.write(
  `${JSON.stringify({ mode, events, ms: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000), maxRssMB: Math.round(usage.maxRSS / 1024) })}\n`,
);
