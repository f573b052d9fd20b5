/**
 * The one Kafka cluster case of the default run: a three-node KRaft cluster of its own, one short
 * case of `replicated` with its leader killed (the fault must fire and heal, the claim must hold),
 * then down. Budget: about two minutes. Needs root (namespaces, iptables); skipped otherwise.
 * The longer cluster tests are `npm run test:clusters`.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterDown, clusterUnavailableReason, clusterUp } from '../../provision/cluster/index.ts';
import { clusterLeftovers, clusterTestDir, runClusterCase } from './cluster-kit.ts';

const unavailable = clusterUnavailableReason();
const dir = clusterTestDir('bp-kafka-ci-');

describe.skipIf(unavailable !== undefined)(
  `a Kafka cluster case in CI${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    beforeAll(async () => {
      const up = await clusterUp('kafka', 3, { log: (l) => process.stderr.write(`${l}\n`) });
      expect(up.status.nodes.map((n) => n.up)).toEqual([true, true, true]);
    }, 240_000);

    afterAll(async () => {
      await clusterDown(['kafka']);
      expect(clusterLeftovers('kafka', dir, 'kafka.Kafka')).toEqual({
        netns: false,
        links: false,
        processes: false,
      });
    }, 60_000);

    it('replicated keeps every acknowledged record when its leader is killed', async () => {
      const out = join(dir, 'report');
      const { code, cases } = await runClusterCase(
        out,
        ...['--driver', 'kafka', '--setup', 'replicated', '--scenario', 'work-queue'],
        ...['--faults', 'kill-leader', '--runs', '1', '--seed', '1', '--messages', '400'],
      );
      expect(cases.map((c) => [c.valid, c.reasons])).toEqual([[true, []]]);
      expect(code).toBe(0);
      const timeline = cases[0]!.faultTimeline;
      expect(timeline.map((f) => f.fault)).toContain('kill-leader');
      for (const f of timeline) {
        expect(f.stopT, `${f.fault} healed`).toBeDefined();
        // The node killed is the one the broker named as the partition's leader.
        expect(f.nodes).toEqual([f.leader]);
      }
    }, 120_000);
  },
);
