/**
 * A three-node NATS cluster in network namespaces: up, one short case of jetstream-r3 under
 * isolate-leader and kill-node (both must fire and heal), down leaving nothing behind. That much is
 * CI's short cluster case. With BROKERPROOF_CLUSTER_TESTS=1 (`npm run test:clusters`) a longer case
 * adds pause-node, bridge and partition-halves. Needs root (namespaces, iptables); skipped with the
 * reason otherwise.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLUSTER_DIR_VARIABLE,
  clusterDown,
  clusterUnavailableReason,
  clusterUp,
} from '../../provision/cluster/index.ts';
import type { CaseResult } from '../../runner/case.ts';
import { cli } from '../helpers/cli.ts';

const unavailable = clusterUnavailableReason();
const dir = mkdtempSync(join(tmpdir(), 'bp-cluster-'));
process.env[CLUSTER_DIR_VARIABLE] = join(dir, 'cluster');

const ours = () => ({
  netns: execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes('bpc-nats-'),
  links: execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).includes('bpc-nats-'),
  processes: execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .some((line) => line.includes('nats-server') && line.includes(dir)),
});

// The longer cases run with `npm run test:clusters`.
const longer = process.env.BROKERPROOF_CLUSTER_TESTS === '1';

async function runCase(out: string, faults: string, seed: number, messages: number) {
  const r = await cli(
    ...['run', '--driver', 'nats', '--setup', 'jetstream-r3', '--scenario', 'work-queue'],
    ...['--faults', faults, '--runs', '1', '--seed', String(seed), '--messages', String(messages)],
    ...['--shrink-time', '0', '--out', out, '--no-progress'],
  );
  const { cases } = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { cases: CaseResult[] };
  return { code: r.code, cases };
}

describe.skipIf(unavailable !== undefined)(
  `a NATS cluster in network namespaces${unavailable ? ` (${unavailable})` : ''}`,
  () => {
    beforeAll(async () => {
      const up = await clusterUp('nats', 3, { log: (l) => process.stderr.write(`${l}\n`) });
      expect(up.status.nodes.map((n) => n.up)).toEqual([true, true, true]);
    }, 120_000);

    afterAll(async () => {
      await clusterDown(['nats']);
    }, 60_000);

    it('jetstream-r3 keeps at-least-once while its leader is cut off and a node is killed', async () => {
      const { code, cases } = await runCase(join(dir, 'report'), 'isolate-leader,kill-node', 3, 60);
      expect(cases.map((c) => [c.valid, c.reasons])).toEqual([[true, []]]);
      expect(code).toBe(0);
      const fired = cases.flatMap((c) => c.coverage?.faults.filter((f) => f.status === 'fired') ?? []);
      expect(fired.length).toBeGreaterThan(0);
      for (const f of cases[0]!.faultTimeline) expect(f.stopT, `${f.fault} healed`).toBeDefined();
    }, 90_000);

    it.skipIf(!longer)(
      'jetstream-r3 holds through a paused node, a bridge and a minority cut off',
      async () => {
        const { code, cases } = await runCase(
          join(dir, 'report-longer'),
          'pause-node,bridge,partition-halves',
          21,
          400,
        );
        expect(cases.map((c) => [c.valid, c.reasons])).toEqual([[true, []]]);
        expect(code).toBe(0);
        const kinds = new Set(cases[0]!.faultTimeline.map((f) => f.fault));
        expect(kinds.size).toBeGreaterThan(1);
        for (const f of cases[0]!.faultTimeline) expect(f.stopT, `${f.fault} healed`).toBeDefined();
      },
      180_000,
    );

    it('down removes every namespace, link and node process', async () => {
      await clusterDown(['nats']);
      expect(ours()).toEqual({ netns: false, links: false, processes: false });
    }, 60_000);
  },
);
