/**
 * The one Kafka cluster case of the default run: a three-node KRaft cluster of its own, one short
 * case of `replicated` with its leader killed (the fault must fire and heal, the claim must hold),
 * then down. Budget: about two minutes. Needs root (namespaces, iptables); skipped otherwise.
 * The longer cluster tests are `npm run test:clusters`.
 */
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
import { clusterLeftovers } from './cluster-leftovers.ts';

const unavailable = clusterUnavailableReason();
const dir = mkdtempSync(join(tmpdir(), 'bp-kafka-ci-'));
process.env[CLUSTER_DIR_VARIABLE] = join(dir, 'cluster');

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
      const r = await cli(
        ...['run', '--driver', 'kafka', '--setup', 'replicated', '--scenario', 'work-queue'],
        ...['--faults', 'kill-leader', '--runs', '1', '--seed', '1', '--messages', '400'],
        ...['--shrink-time', '0', '--out', out, '--no-progress'],
      );
      const { cases } = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
        cases: CaseResult[];
      };
      expect(cases.map((c) => [c.valid, c.reasons])).toEqual([[true, []]]);
      expect(r.code).toBe(0);
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
