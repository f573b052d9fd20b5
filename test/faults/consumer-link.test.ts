import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FaultTargets, proxiesOf } from '../../core/fault-targets.ts';
import { type FaultDraw, faultTargets, placeFaults, targetsOverlap } from '../../faults/fault-placement.ts';
import { describeFault, type FaultPlan, type FaultRole, parseFaultSpec } from '../../faults/fault-plan.ts';
import { Nemesis } from '../../faults/nemesis.ts';
import { proxyBaseName } from '../../runner/consumer-proxies.ts';
import { DEFAULT_SHAPE, scheduledFaults, workloadArbitrary } from '../../scenarios/kit/arbitraries.ts';

const api = 'http://127.0.0.1:1';
const roles: FaultTargets = {
  toxiproxy: { apiUrl: api, proxy: 'nats' },
  roles: {
    producers: { apiUrl: api, proxy: 'nats-producers' },
    consumers: { apiUrl: api, proxy: 'nats-consumers' },
  },
};
const perCase: FaultTargets = {
  ...roles,
  consumers: [0, 1, 2].map((k) => ({ apiUrl: api, proxy: `bp-case-c${k}` })),
};
const onConsumer = (consumer: number, atMs = 0, durationMs = 1000): FaultPlan => ({
  kind: 'partition',
  atMs,
  durationMs,
  role: 'consumer',
  params: { consumer },
});

describe('faults on one consumer’s link (`@consumer`)', () => {
  it('parse for network faults only', () => {
    expect(parseFaultSpec('partition@consumer')).toEqual({ kind: 'partition', role: 'consumer' });
    expect(parseFaultSpec('latency@consumer')).toEqual({ kind: 'latency', role: 'consumer' });
    expect(parseFaultSpec('broker-kill@consumer')).toBeUndefined();
    expect(parseFaultSpec('producer-crash@consumer')).toBeUndefined();
    expect(parseFaultSpec('consumer-crash@consumer')).toBeUndefined();
  });

  it('describe the consumer they cut, not its index as a toxic attribute', () => {
    expect(describeFault(onConsumer(2, 500, 1500))).toBe('partition@consumer-2 at +500 ms for 1500 ms');
    expect(
      describeFault({
        kind: 'latency',
        atMs: 0,
        durationMs: 10,
        role: 'consumer',
        stream: 'both',
        params: { latency: 50, consumer: 1 },
      }),
    ).toBe('latency@consumer-1 both latency=50 at +0 ms for 10 ms');
  });

  it('are drawn only when named, with a consumer of the case', () => {
    expect(scheduledFaults({ faults: new Set(['partition']), networkRoles: ['all', 'consumers'] })).toEqual([
      { kind: 'partition', roles: ['all', 'consumers'] },
    ]);
    expect(scheduledFaults({ faults: new Set(['partition@consumer', 'latency']) })).toEqual([
      { kind: 'partition', roles: ['consumer'] },
      { kind: 'latency', roles: ['all'] },
    ]);
    const options = {
      faults: new Set(['partition@consumer', 'latency@consumer', 'latency@consumers']),
      silenceTimeoutMs: 2_000,
    };
    const shape = { ...DEFAULT_SHAPE, groups: { min: 1, max: 3 }, maxFaults: 5 };
    fc.assert(
      fc.property(workloadArbitrary(shape, options), (w) => {
        for (const f of w.faults) {
          if (f.role === 'consumer') {
            expect(f.params.consumer).toBeGreaterThanOrEqual(0);
            expect(f.params.consumer).toBeLessThan(w.groups * w.consumersPerGroup);
          } else expect(f.params).not.toHaveProperty('consumer');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keep off another fault on the same consumer, and off `consumers` and `all`', () => {
    expect(faultTargets(onConsumer(2))).toEqual(['network:consumer-2']);
    expect(targetsOverlap('network:consumer-2', 'network:consumer-2')).toBe(true);
    expect(targetsOverlap('network:consumer-2', 'network:consumers')).toBe(true);
    expect(targetsOverlap('network:consumers', 'network:consumer-0')).toBe(true);
    expect(targetsOverlap('network:consumer-1', 'network:consumer-2')).toBe(false);
    expect(targetsOverlap('network:consumer-1', 'network:producers')).toBe(false);
    const draw = (role: FaultRole, at: number, consumer?: number): FaultDraw => ({
      kind: 'partition',
      at,
      durationMs: 1_000,
      stream: 'both',
      role,
      params: consumer === undefined ? {} : { consumer },
    });
    const { plans } = placeFaults(
      [
        draw('consumer', 0.1, 1),
        draw('consumer', 0.1, 2), // another consumer: at once
        draw('consumer', 0.15, 1), // the same consumer: after the first healed
        draw('all', 0.2), // every link: after both consumers' faults
        draw('producers', 0.1), // the producers' link alone: at once
      ],
      10_000,
    );
    expect(plans.map((p) => p.atMs)).toEqual([1_000, 1_000, 1_000, 2_250, 3_500]);
    expect(plans.map((p) => `${p.role}${p.params.consumer ?? ''}`)).toEqual([
      'consumer1',
      'consumer2',
      'producers',
      'consumer1',
      'all',
    ]);
  });

  it('act on that consumer’s proxy only; `consumers` and `all` on every consumer’s', () => {
    expect(proxiesOf(perCase, 'consumers').map((p) => p.proxy)).toEqual([
      'nats-consumers',
      'bp-case-c0',
      'bp-case-c1',
      'bp-case-c2',
    ]);
    expect(proxiesOf(perCase).length).toBe(6);
    expect(proxiesOf(perCase, 'producers').map((p) => p.proxy)).toEqual(['nats-producers']);
  });

  it('need role proxies and a driver that routes a consumer through one, and say why not', () => {
    expect(Nemesis.unsupported('partition', roles, 'consumer')).toMatch(/Kafka clients follow the addresses/);
    expect(Nemesis.unsupported('partition', { ...roles, perConsumer: true }, 'consumer')).toBeUndefined();
    expect(Nemesis.unsupported('partition', perCase, 'consumer')).toBeUndefined();
    expect(
      Nemesis.unsupported('partition', { toxiproxy: roles.toxiproxy, perConsumer: true }, 'consumer'),
    ).toMatch(/consumers do not reach the broker through a Toxiproxy proxy of their own/);
    expect(Nemesis.unsupported('partition', {}, 'consumer')).toMatch(/not behind a Toxiproxy proxy/);
    expect(Nemesis.unsupported('broker-kill', { ...perCase, broker: 'nats' }, 'consumer')).toMatch(
      /only network faults/,
    );
  });

  it('record that consumer’s proxy as the target, and a failed start when the case has none', async () => {
    const events: Array<Record<string, unknown>> = [];
    const record = { record: (e: unknown) => events.push(e as Record<string, unknown>) };
    new Nemesis(perCase, record, undefined).cancelled(onConsumer(1));
    await new Nemesis(roles, record, undefined).start(onConsumer(4));
    expect(events.map((e) => [e.type, e.target])).toEqual([
      ['fail', 'toxiproxy:bp-case-c1'],
      ['invoke', 'toxiproxy:?-consumer-4'],
      ['fail', 'toxiproxy:?-consumer-4'],
    ]);
    expect(String(events[2]?.error)).toMatch(/cannot connect one consumer/);
  });

  it('name per-case proxies after the case, in characters safe in a URL path', () => {
    expect(proxyBaseName('nats.core.work-queue/run 3#0')).toBe('bp-nats.core.work-queue_run_3_0');
  });
});
