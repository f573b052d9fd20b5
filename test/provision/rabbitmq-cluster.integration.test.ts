/**
 * A three-node RabbitMQ cluster in network namespaces: up, a case of quorum-cluster under
 * partition-halves and kill-node (both must fire and heal), down leaving nothing behind — no
 * namespace, link, node process or epmd. Needs root (namespaces, iptables); skipped with the
 * reason otherwise. `npm run test:clusters`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterDown, clusterUnavailableReason, clusterUp } from '../../provision/cluster/index.ts';
import { clusterTestDir, runClusterCase } from '../clusters/cluster-kit.ts';

const unavailable = clusterUnavailableReason();
const dir = clusterTestDir('bp-rabbit-cluster-');

/**
 * What of ours is left: namespaces, links, and processes started under `marker` — the runtime and
 * the epmd it starts inherit the owner marker in their environment.
 */
export function leftovers(marker: string) {
  const mine = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/environ`, 'utf8').includes(`BROKERPROOF_OWNER=${marker}`);
      } catch {
        return false;
      }
    });
  return {
    netns: execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes('bpc-rabbitmq-'),
    links: execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).includes('bpc-rabbitmq-'),
    processes: mine.map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0]),
  };
}

const wanted = process.env.BROKERPROOF_CLUSTER_TESTS === '1';

describe.skipIf(unavailable !== undefined || !wanted)(
  `a RabbitMQ cluster in network namespaces${unavailable ? ` (${unavailable})` : ''}`,
  () => {
    beforeAll(async () => {
      const up = await clusterUp('rabbitmq', 3, { log: (l) => process.stderr.write(`${l}\n`) });
      expect(up.status.nodes.map((n) => n.up)).toEqual([true, true, true]);
      // The runtime, not the start script: a node is well over 50 MB resident.
      for (const node of up.status.nodes) expect(node.rssMb).toBeGreaterThan(50);
    }, 240_000);

    afterAll(async () => {
      await clusterDown(['rabbitmq']);
    }, 120_000);

    it('quorum-cluster keeps at-least-once while a minority is cut off and a node is killed', async () => {
      const out = join(dir, 'report');
      const { code, cases } = await runClusterCase(
        out,
        ...['--driver', 'rabbitmq', '--setup', 'quorum-cluster', '--scenario', 'work-queue'],
        ...['--faults', 'partition-halves,kill-node', '--runs', '1', '--seed', '7', '--messages', '200'],
      );
      expect(cases.map((c) => [c.valid, c.reasons])).toEqual([[true, []]]);
      expect(code).toBe(0);
      const fired = cases.flatMap((c) => c.coverage?.faults.filter((f) => f.status === 'fired') ?? []);
      expect(fired.length).toBeGreaterThan(0);
      for (const f of cases[0]!.faultTimeline) expect(f.stopT, `${f.fault} healed`).toBeDefined();
    }, 240_000);

    it('down removes every namespace, link and process, epmd included', async () => {
      await clusterDown(['rabbitmq']);
      expect(leftovers(dir)).toEqual({ netns: false, links: false, processes: [] });
    }, 120_000);
  },
);
