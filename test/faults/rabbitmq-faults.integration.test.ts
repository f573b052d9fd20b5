import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RabbitmqEndpoint } from '../../provision/endpoints.ts';
import { isBrokerPaused, isBrokerRunning } from '../../provision/local/process-control.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';
import type { CaseResult } from '../../runner/case.ts';
import { requireBroker } from '../helpers/brokers.ts';
import { cli, cliProcess } from '../helpers/cli.ts';

let endpoint: RabbitmqEndpoint;
beforeAll(async () => {
  endpoint = await requireBroker('rabbitmq');
}, 300_000);

const tmp = () => mkdtempSync(join(tmpdir(), 'bp-chaos-'));
const results = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { cases: CaseResult[] };

/** Consumer worker processes still alive whose spec carries this marker. */
function workersWith(marker: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.split('\n').filter((line) => line.includes('consumer-worker') && line.includes(marker));
}

describe('chaos against a real RabbitMQ', () => {
  it('auto-ack claimed as at-least-once: consumer crashes find loss within 5 runs, shrunk to a counterexample', async () => {
    const out = join(tmp(), 'r');
    const r = await cli(
      ...['run', '--driver', 'rabbitmq', '--setup', 'auto-ack', '--scenario', 'work-queue'],
      ...['--guarantee', 'at-least-once', '--faults', 'consumer-crash', '--runs', '5', '--seed', '17'],
      ...['--shrink-time', '20', '--out', out, '--no-progress'],
    );
    expect(r.code).toBe(1);
    const minimal = results(out).cases.find((c) => c.counterexample);
    expect(minimal?.counts.lost).toBeGreaterThan(0);
  }, 300_000);

  it('quorum keeps at-least-once under partitions, latency and a broker killed and restarted', async () => {
    const out = join(tmp(), 'r');
    const r = await cli(
      ...['run', '--driver', 'rabbitmq', '--setup', 'quorum', '--scenario', 'work-queue'],
      ...[
        '--faults',
        'partition,latency,broker-kill',
        '--runs',
        '3',
        '--seed',
        '5',
        '--out',
        out,
        '--no-progress',
      ],
    );
    const cases = results(out).cases;
    expect(cases.map((c) => [c.id, c.valid, c.violations])).toEqual(cases.map((c) => [c.id, true, []]));
    expect(r.code).toBe(0);
    const injected = cases.flatMap((c) => c.faultTimeline.map((f) => f.fault));
    expect(injected.length).toBeGreaterThan(0);
    for (const c of cases)
      for (const f of c.faultTimeline) expect(f.stopT, `${f.fault} healed`).toBeDefined();
  }, 300_000);

  it('Ctrl-C in the middle of a fault leaves no toxic, no disabled proxy, no paused broker and no consumer process', async () => {
    const dir = tmp();
    const marker = 4000 + Math.floor(Math.random() * 999); // a confirm timeout unique to this run
    const config = join(dir, 'brokerproof.config.json');
    writeFileSync(config, JSON.stringify({ drivers: { rabbitmq: { confirmTimeoutMs: marker } } }));
    let pid = 0;
    const running = cliProcess(
      [
        ...[
          'run',
          '--config',
          config,
          '--driver',
          'rabbitmq',
          '--setup',
          'quorum',
          '--scenario',
          'work-queue',
        ],
        ...['--faults', 'partition,latency,broker-pause', '--messages', '120', '--runs', '3', '--seed', '2'],
        ...['--out', join(dir, 'r')],
      ],
      { cwd: dir, onSpawn: (p) => (pid = p) },
    );
    // Wait until a fault has started, then interrupt.
    const histories = join(dir, 'r', 'histories');
    const deadline = Date.now() + 60_000;
    const faultStarted = () =>
      existsSync(histories) &&
      execFileSync('sh', ['-c', `cat ${histories}/*.ndjson 2>/dev/null || true`], {
        encoding: 'utf8',
      }).includes('"type":"ok","f":"fault","action":"start"');
    while (!faultStarted() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(faultStarted()).toBe(true);
    process.kill(pid, 'SIGINT');
    const r = await running;
    expect(r.code).toBe(2);

    // The broker's own proxy and the producers' and consumers' (faults may have targeted either).
    const proxies = await new ToxiproxyApi(endpoint.toxiproxy!.apiUrl).proxies();
    for (const name of ['rabbitmq', 'rabbitmq-producers', 'rabbitmq-consumers']) {
      expect(proxies[name]?.enabled, name).toBe(true);
      expect(proxies[name]?.toxics, name).toEqual([]);
    }
    expect(isBrokerRunning('rabbitmq')).toBe(true);
    expect(isBrokerPaused('rabbitmq')).toBe(false);
    expect(workersWith(`"confirmTimeoutMs":${marker}`)).toEqual([]);
    // The interrupted case's history is on disk.
    const interrupted = results(join(dir, 'r'));
    expect(interrupted.cases.length).toBeGreaterThan(0);
  }, 180_000);
});
