/**
 * A three-node NATS cluster in network namespaces: up, one short case of jetstream-r3 under
 * isolate-leader and kill-node (both must fire and heal), down leaving nothing behind. That much is
 * CI's short cluster case. With BROKERPROOF_CLUSTER_TESTS=1 (`npm run test:clusters`) a longer case
 * adds pause-node, bridge and partition-halves. Needs root (namespaces, iptables); skipped with the
 * reason otherwise.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterDown, clusterUnavailableReason, clusterUp } from '../../provision/cluster/index.ts';
import { clusterLeftovers, clusterTestDir, runClusterCase } from './cluster-kit.ts';

const unavailable = clusterUnavailableReason();
const dir = clusterTestDir('bp-cluster-');

// The longer cases run with `npm run test:clusters`.
const longer = process.env.BROKERPROOF_CLUSTER_TESTS === '1';

const runCase = (out: string, faults: string, seed: number, messages: number) =>
  runClusterCase(
    out,
    ...['--driver', 'nats', '--setup', 'jetstream-r3', '--scenario', 'work-queue'],
    ...['--faults', faults, '--runs', '1', '--seed', String(seed), '--messages', String(messages)],
  );

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
      expect(clusterLeftovers('nats', dir, 'nats-server')).toEqual({
        netns: false,
        links: false,
        processes: false,
      });
    }, 60_000);
  },
);
