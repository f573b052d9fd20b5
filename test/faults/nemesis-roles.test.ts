import { describe, expect, it } from 'vitest';
import { type FaultTargets, proxiesOf } from '../../core/fault-targets.ts';
import { faultTargets } from '../../faults/fault-placement.ts';
import { parseFaultSpec } from '../../faults/fault-plan.ts';
import { Nemesis } from '../../faults/nemesis.ts';

const api = 'http://127.0.0.1:1';
const shared: FaultTargets = { toxiproxy: { apiUrl: api, proxy: 'nats' } };
const roles: FaultTargets = {
  ...shared,
  roles: {
    producers: { apiUrl: api, proxy: 'nats-producers' },
    consumers: { apiUrl: api, proxy: 'nats-consumers' },
  },
};

describe('network faults by role', () => {
  it('act on the role’s own proxy; `all` on every proxy of the broker', () => {
    expect(proxiesOf(roles, 'consumers').map((p) => p.proxy)).toEqual(['nats-consumers']);
    expect(proxiesOf(roles, 'producers').map((p) => p.proxy)).toEqual(['nats-producers']);
    expect(proxiesOf(roles).map((p) => p.proxy)).toEqual(['nats', 'nats-producers', 'nats-consumers']);
    expect(proxiesOf(shared, 'consumers')).toEqual([]);
    expect(proxiesOf(shared, 'all').map((p) => p.proxy)).toEqual(['nats']);
  });

  it('a role fault needs per-role proxies, and says why when there are none', () => {
    expect(Nemesis.unsupported('partition', shared)).toBeUndefined();
    expect(Nemesis.unsupported('partition', shared, 'consumers')).toMatch(/consumers .* of their own/);
    expect(Nemesis.unsupported('latency', roles, 'producers')).toBeUndefined();
    expect(Nemesis.unsupported('latency', {}, 'all')).toMatch(/not behind a Toxiproxy proxy/);
    expect(Nemesis.unsupported('consumer-crash', {}, 'consumers')).toBeUndefined();
  });

  it('records the role’s proxy as the target, and a failed start when the role has none', async () => {
    const events: Array<Record<string, unknown>> = [];
    const nemesis = new Nemesis(
      shared,
      { record: (e) => events.push(e as Record<string, unknown>) },
      undefined,
    );
    await nemesis.start({ kind: 'partition', atMs: 0, durationMs: 1, role: 'consumers', params: {} });
    expect(events.map((e) => [e.type, e.target])).toEqual([
      ['invoke', 'toxiproxy:?-consumers'],
      ['fail', 'toxiproxy:?-consumers'],
    ]);
    expect(String(events[1]?.error)).toMatch(/consumers .* of their own/);
  });
});

describe('faults on the store (`@store`)', () => {
  const store: FaultTargets = { toxiproxy: { apiUrl: api, proxy: 'postgres' }, broker: 'postgres' };

  it('parse for network and process faults only', () => {
    expect(parseFaultSpec('partition@store')).toEqual({ kind: 'partition', role: 'store' });
    expect(parseFaultSpec('broker-kill@store')).toEqual({ kind: 'broker-kill', role: 'store' });
    expect(parseFaultSpec('consumer-crash@store')).toBeUndefined();
    expect(parseFaultSpec('broker-kill@consumers')).toBeUndefined();
  });

  it('need a store to act on, and say so when the run keeps none', () => {
    expect(Nemesis.unsupported('partition', shared, 'store')).toMatch(/no scenario state in PostgreSQL/);
    expect(Nemesis.unsupported('partition', shared, 'store', store)).toBeUndefined();
    expect(Nemesis.unsupported('broker-pause', shared, 'store', { toxiproxy: store.toxiproxy })).toMatch(
      /not one of `brokerproof brokers up`/,
    );
  });

  it('record the store’s proxy as the target, not the broker’s', async () => {
    const events: Array<Record<string, unknown>> = [];
    const nemesis = new Nemesis(
      shared,
      { record: (e) => events.push(e as Record<string, unknown>) },
      undefined,
      () => {},
      store,
    );
    nemesis.cancelled({ kind: 'partition', atMs: 0, durationMs: 1, role: 'store', params: {} });
    nemesis.cancelled({ kind: 'broker-kill', atMs: 0, durationMs: 1, role: 'store', params: {} });
    expect(events.map((e) => e.target)).toEqual(['toxiproxy:postgres', 'postgres']);
  });

  it('keep apart from the broker’s faults when placed in time', () => {
    expect(faultTargets({ kind: 'broker-kill', role: 'store', params: {} })).toEqual(['store']);
    expect(faultTargets({ kind: 'broker-kill', params: {} })).toEqual(['broker']);
    expect(faultTargets({ kind: 'partition', role: 'store', params: {} })).toEqual(['network:store']);
  });
});
