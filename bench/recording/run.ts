// The recording path on its own, no broker: what a consumer worker and the runner spend per
// message to get a consumer's four events from the worker into the history file, with the runner's
// live folds (retry intervals, coverage) listening. "compact" is the path cases use (the typed
// writer's arguments down the pipe, one tab-separated line an event, rebuilt by the runner with the
// same writer: runner/compact-consumer-events.ts); "json" is the path before it (JSON event lines,
// parsed back by the runner); "binary" sends fixed 13-byte records that the runner turns into the
// same events and lines, the cheapest a pipe format could be (it carries only these four shapes,
// nothing a real case's events need beyond them). Alternating rounds, medians. Then the send side:
// what the runner adds to each message a producer sends (send-side.ts).
// Usage: npm run bench:recording [-- <messages per round>]   BENCH_ROUNDS=5, BENCH_JSON=1, BENCH_MODES
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaseClock } from '../../core/clock.ts';
import { jsonString } from '../../core/event-json.ts';
import type { EventInput } from '../../core/events.ts';
import { History, HistoryWriter } from '../../core/history-writer.ts';
import { CoverageCollector } from '../../runner/coverage.ts';
import { LiveRetryIntervals } from '../../runner/live-retry-intervals.ts';
import { collectWorkerEvents, spawnWorker } from '../../runner/worker-pipe.ts';
import { measureSendSide } from './send-side.ts';

const MESSAGES = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RECORD_BYTES = 13;
const TICK = 255;
const dir = mkdtempSync(join(tmpdir(), 'bp-bench-recording-'));

const ALL_MODES = ['compact', 'json', 'binary'] as const;
type Mode = (typeof ALL_MODES)[number];
/** `BENCH_MODES=compact,binary`: only these (for a profile of one path). */
const MODES = ALL_MODES.filter((m) => process.env.BENCH_MODES?.split(',').includes(m) ?? true);

interface Round {
  workerUs: number;
  runnerUs: number;
  wallMs: number;
}

async function round(mode: Mode, k: number): Promise<Round> {
  const clock = new CaseClock();
  const writer = new HistoryWriter(join(dir, `${mode}-${k}.ndjson`));
  const history = new History(writer, clock);
  const retries = new LiveRetryIntervals();
  const coverage = new CoverageCollector();
  history.onEvent((e) => {
    retries.add(e);
    coverage.add(e);
  });
  const child = spawnWorker(
    new URL('./worker.ts', import.meta.url),
    [mode, String(MESSAGES), String(clock.epochMs)],
    {
      stderr: 'pipe',
    },
  );
  let report = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    report += s;
  });
  // The runner's CPU counts from the first bytes (starting the worker is not recording).
  let cpu: NodeJS.CpuUsage | undefined;
  let wall = 0;
  child.stdout?.once('data', () => {
    cpu = process.cpuUsage();
    wall = performance.now();
  });
  await (mode === 'binary' ? collectBinary(child.stdout!, history) : collectWorkerEvents(child, history));
  history.flush();
  writer.close();
  const runner = process.cpuUsage(cpu);
  const wallMs = performance.now() - wall;
  await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
  if (history.size !== MESSAGES * 4) throw new Error(`${mode}: ${history.size} events, not ${MESSAGES * 4}`);
  const { workerCpuUs } = JSON.parse(report.trim().split('\n').at(-1) ?? '{}') as { workerCpuUs: number };
  return { workerUs: workerCpuUs / MESSAGES, runnerUs: (runner.user + runner.system) / MESSAGES, wallMs };
}

const KINDS = [
  ['ok', 'deliver'],
  ['ok', 'process'],
  ['invoke', 'ack'],
  ['ok', 'ack'],
] as const;

/** The runner's side of the binary records: the same events and lines the JSON path gives. */
function collectBinary(stdout: NodeJS.ReadableStream, history: History): Promise<void> {
  const source = history.openSource();
  const head = `{"p":${jsonString('consumer-0')},"type":`;
  let rest: Buffer | undefined;
  stdout.on('data', (chunk: Buffer) => {
    const b = rest ? Buffer.concat([rest, chunk]) : chunk;
    let at = 0;
    for (; at + RECORD_BYTES <= b.length; at += RECORD_BYTES) {
      const kind = b[at]!;
      const t = b.readDoubleLE(at + 1);
      if (kind === TICK) {
        source.advance(t);
        continue;
      }
      const id = `m${b.readUInt32LE(at + 9)}`;
      const [type, f] = KINDS[kind]!;
      if (kind === 0) {
        const e = { p: 'consumer-0', type, f, id, dest: 'bp.bench', redelivered: false };
        source.push(
          t,
          e as EventInput,
          `${head}"ok","f":"deliver","id":"${id}","dest":"bp.bench","redelivered":false}`,
        );
      } else
        source.push(
          t,
          { p: 'consumer-0', type, f, id } as EventInput,
          `${head}"${type}","f":"${f}","id":"${id}"}`,
        );
    }
    rest = at < b.length ? b.subarray(at) : undefined;
  });
  return new Promise((resolve) =>
    stdout.once('close', () => {
      source.close();
      resolve();
    }),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Record<Mode, Round[]> = { compact: [], json: [], binary: [] };
try {
  for (let k = 0; k < ROUNDS; k++) {
    for (const mode of MODES) results[mode].push(await round(mode, k));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const rows = MODES.map((mode) => {
  const rs = results[mode];
  const worker = rs.map((r) => r.workerUs);
  const runner = rs.map((r) => r.runnerUs);
  const total = rs.map((r) => r.workerUs + r.runnerUs);
  const fmt = (xs: number[]) =>
    `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
  return {
    pipe: mode,
    'worker CPU µs/msg': fmt(worker),
    'runner CPU µs/msg': fmt(runner),
    'total µs/msg': fmt(total),
    'msg/s': Math.round(MESSAGES / (median(rs.map((r) => r.wallMs)) / 1000)),
  };
});
const sendSide = await measureSendSide(MESSAGES, ROUNDS);
if (process.env.BENCH_JSON)
  console.log(
    JSON.stringify({ title: 'recording path', messages: MESSAGES, rounds: ROUNDS, rows, sendSide }),
  );
else {
  console.log(
    `Recording path: ${MESSAGES} messages × 4 consumer events a round, ${ROUNDS} alternating rounds, median (spread)`,
  );
  console.table(rows);
  console.log(
    `Send side, in the runner: ${MESSAGES} messages a round, ${ROUNDS} alternating rounds, median (spread); each layer includes the one above`,
  );
  console.table(sendSide);
}
