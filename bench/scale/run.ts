// Scale benchmark: one case of `brokerproof run` at a given message count, then `brokerproof check`
// on its history, each under /usr/bin/time -v so its peak memory (max RSS) is its own. Prints wall
// time, events, and the peak RSS of the runner (which also checks in process) and of the check.
// Usage: npm run bench:scale -- [--messages 100000] [--driver memory] [--setup S] [--scenario work-queue]
//        [--faults F] [--seed 1] [--json]   (run it under the brokers lock: it runs a case)
// A real history of 10^7 events: --scenario fan-out --messages 600000 --seed 14 (seed 14 draws four
// groups of two consumers with no processing time: 18 events a message, 10.8M events, 1.3 GB).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    driver: { type: 'string', default: 'memory' },
    setup: { type: 'string' },
    scenario: { type: 'string', default: 'work-queue' },
    faults: { type: 'string' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const cli = fileURLToPath(new URL('../../bin/brokerproof.js', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'bp-scale-'));

interface Timed {
  status: number | null;
  wallS: number;
  peakMB: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI under GNU time; its report (on stderr, after the child's) gives the peak RSS. */
function timed(args: string[]): Timed {
  const started = Date.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, cli, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (!rss) throw new Error(`no /usr/bin/time report for ${args.join(' ')}:\n${r.stderr.slice(-2000)}`);
  return {
    status: r.status,
    wallS: (Date.now() - started) / 1000,
    peakMB: Math.round(Number(rss[1]) / 1024),
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

const runArgs = ['run', '--driver', values.driver!, '--scenario', values.scenario!];
if (values.faults) runArgs.push('--faults', values.faults);
if (values.setup) runArgs.push('--setup', values.setup);
runArgs.push('--messages', values.messages!, '--runs', '1', '--seed', values.seed!, '--shrink-time', '0');
runArgs.push('--out', out, '--json', '--no-progress');
const run = timed(runArgs);
// 0, 1 and 2 are verdicts (holds, violated, undecided); anything else, or no results, is a failure.
if (run.status === null || run.status > 2 || !existsSync(join(out, 'results.json'))) {
  process.stderr.write(run.stderr.slice(-4000));
  throw new Error(`brokerproof run exited ${run.status} (report directory ${out})`);
}
const result = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
const done = result.cases[0];
if (!done) throw new Error(`the run recorded no case (see ${out})`);
const history = join(out, done.history);
const checkArgs = ['check', history, '--guarantee', done.guarantee.delivery, '--json'];
if (done.guarantee.ordering) checkArgs.push('--ordering', done.guarantee.ordering);
if (done.guarantee.maxAttempts) checkArgs.push('--max-attempts', String(done.guarantee.maxAttempts));
const check = timed(checkArgs);
const row = {
  driver: values.driver,
  scenario: values.scenario,
  messages: Number(values.messages),
  events: done.events,
  valid: done.valid,
  reasons: done.reasons.join('; '),
  runExit: run.status,
  runWallS: run.wallS,
  runPeakMB: run.peakMB,
  checkExit: check.status,
  checkWallS: check.wallS,
  // Whole command, process start included.
  checkEventsPerS: Math.round(done.events / check.wallS),
  checkPeakMB: check.peakMB,
  out,
};
if (values.json) console.log(JSON.stringify(row));
else console.table([row]);
