import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { minorityOf } from '../../faults/cluster-faults.ts';
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
});
