import { describe, expect, it } from 'vitest';
import { type FaultTargets, proxiesOf } from '../../core/fault-targets.ts';
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
