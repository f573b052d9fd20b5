import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bridgeOf, clusterFaultUnsupported, minorityOf, ringCuts } from '../../faults/cluster-faults.ts';
import { faultTargets, placeFaults } from '../../faults/fault-placement.ts';
import { CLUSTER_FAULTS, parseFaultSpec } from '../../faults/fault-plan.ts';
import { Nemesis } from '../../faults/nemesis.ts';
import { planNetwork } from '../../provision/cluster/network.ts';
import { DEFAULT_SHAPE, workloadArbitrary } from '../../scenarios/kit/arbitraries.ts';

const nodes = planNetwork('nats', 3).nodes;
const cluster = { broker: 'nats' as const, root: '/tmp/x', nodes };

describe('cluster faults', () => {
  it('are named bare on the command line, never with a role', () => {
    for (const kind of CLUSTER_FAULTS) expect(parseFaultSpec(kind)).toEqual({ kind });
    expect(parseFaultSpec('isolate-leader@consumers')).toBeUndefined();
    expect(parseFaultSpec('kill-node@store')).toBeUndefined();
  });

  it('need a cluster', () => {
    expect(Nemesis.unsupported('isolate-node', { broker: 'nats' })).toMatch(/--cluster/);
    expect(Nemesis.unsupported('isolate-node', { cluster })).toBeUndefined();
  });

  it('never overlap one another, and leave other targets free', () => {
    expect(faultTargets({ kind: 'kill-node', params: {} })).toEqual(['cluster']);
    const { plans } = placeFaults(
      [
        { kind: 'isolate-leader', at: 0.1, durationMs: 3000, stream: 'both', role: 'all', params: {} },
        { kind: 'kill-node', at: 0.2, durationMs: 1000, stream: 'both', role: 'all', params: { node: 1 } },
      ],
      10_000,
    );
    expect(plans.map((p) => [p.kind, p.atMs])).toEqual([
      ['isolate-leader', 1000],
      ['kill-node', 4250],
    ]);
    expect(plans[0]).not.toHaveProperty('role');
    expect(plans[0]).not.toHaveProperty('stream');
  });

  it('split a minority of ⌊n/2⌋ consecutive nodes off the rest', () => {
    expect(minorityOf(nodes, 0).map((n) => n.name)).toEqual(['n1']);
    expect(minorityOf(nodes, 5).map((n) => n.name)).toEqual(['n3']);
    const five = planNetwork('nats', 5).nodes;
    expect(minorityOf(five, 4).map((n) => n.name)).toEqual(['n5', 'n1']);
  });

  it('are drawn with a node to act on', () => {
    const arbitrary = workloadArbitrary(DEFAULT_SHAPE, {
      faults: new Set(['isolate-node', 'isolate-leader', 'kill-node']),
    });
    const workloads = fc.sample(arbitrary, { numRuns: 30, seed: 7 });
    const plans = workloads.flatMap((w) => w.faults);
    expect(plans.length).toBeGreaterThan(0);
    for (const plan of plans) {
      if (plan.kind === 'isolate-leader') expect(plan.params).toEqual({});
      else expect(plan.params.node).toBeGreaterThanOrEqual(0);
    }
  });

  it('bridge: two halves that only the drawn node hears both of', () => {
    const three = bridgeOf(nodes, 1);
    expect([three.bridge.name, three.left.map((n) => n.name), three.right.map((n) => n.name)]).toEqual([
      'n2',
      ['n3'],
      ['n1'],
    ]);
    const five = bridgeOf(planNetwork('nats', 5).nodes, 4);
    expect(five.bridge.name).toBe('n5');
    expect(five.left.map((n) => n.name)).toEqual(['n1', 'n2']);
    expect(five.right.map((n) => n.name)).toEqual(['n3', 'n4']);
  });

  it('partition-ring: every node sees a majority of its own, through links kept both ways', () => {
    for (const size of [5, 7]) {
      const ring = planNetwork('nats', size).nodes;
      for (let start = 0; start < size; start++) {
        const cuts = ringCuts(ring, start);
        const cut = new Set(cuts.flatMap(([a, b]) => [`${a.name}|${b.name}`, `${b.name}|${a.name}`]));
        const seen = ring.map((x) =>
          ring
            .filter((y) => y === x || !cut.has(`${x.name}|${y.name}`))
            .map((y) => y.name)
            .join(','),
        );
        for (const view of seen) expect(view.split(',').length).toBeGreaterThan(size / 2);
        expect(new Set(seen).size).toBe(size);
        expect(cuts.length).toBeGreaterThan(0);
      }
    }
  });

  it('refuse a ring on fewer than 5 nodes, naming the closest fault', () => {
    expect(clusterFaultUnsupported('partition-ring', 3)).toMatch(/5 or more nodes.*bridge/);
    expect(Nemesis.unsupported('partition-ring', { cluster })).toMatch(/5 or more/);
    expect(Nemesis.unsupported('bridge', { cluster })).toBeUndefined();
    expect(clusterFaultUnsupported('pause-node', 3)).toBeUndefined();
  });
});
