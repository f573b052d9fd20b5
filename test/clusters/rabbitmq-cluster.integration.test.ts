/**
 * CI's RabbitMQ cluster case (in the default run; the longer ones are `npm run test:clusters`):
 * three nodes in network namespaces, one short case of quorum-cluster while the node leading the
 * queue is cut off from the others. It must hold, and the fault must have fired on the leader the
 * broker named. (Kill faults restart nodes, which takes longer: `npm run test:clusters` has kill-node.)
 * Starts and removes its own cluster (about 2 minutes in all on 2 cores). Needs root.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterDown, clusterUnavailableReason, clusterUp } from '../../provision/cluster/index.ts';
import { clusterTestDir, runClusterCase } from './cluster-kit.ts';

const unavailable = clusterUnavailableReason();
const dir = clusterTestDir('bp-rabbit-ci-');

describe.skipIf(unavailable !== undefined)(
  `quorum-cluster on a 3-node RabbitMQ cluster${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    beforeAll(async () => {
      const up = await clusterUp('rabbitmq', 3, { log: (l) => process.stderr.write(`${l}\n`) });
      expect(up.status.nodes.map((n) => n.up)).toEqual([true, true, true]);
    }, 150_000);

    afterAll(async () => {
      await clusterDown(['rabbitmq']);
    }, 90_000);

    it('holds while the queue’s leader is cut off', async () => {
      const out = join(dir, 'report');
      const { code, cases } = await runClusterCase(
        out,
        ...['--driver', 'rabbitmq', '--setup', 'quorum-cluster', '--scenario', 'work-queue'],
        ...['--faults', 'isolate-leader', '--runs', '1', '--seed', '5', '--messages', '150'],
      );
      expect(cases.map((c) => [c.valid, c.reasons])).toEqual([[true, []]]);
      expect(code).toBe(0);
      const cuts = cases[0]!.faultTimeline.filter((f) => f.fault === 'isolate-leader');
      expect(cuts.length).toBeGreaterThan(0);
      for (const f of cuts) {
        // The broker named a leader, that node was cut off, and the cut was healed.
        expect(f.leader).toMatch(/^n[123]$/);
        expect(f.nodes).toEqual([f.leader]);
        expect(f.stopT).toBeDefined();
      }
    }, 120_000);
  },
);
