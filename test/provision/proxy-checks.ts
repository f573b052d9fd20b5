/** The proof that Toxiproxy is in a broker's path, shared by the native and Docker integration tests. */
import { expect } from 'vitest';
import type { BrokerEndpoint } from '../../provision/endpoints.ts';
import { roundTrip } from '../../provision/health.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';

export const LATENCY_MS = 250;

/**
 * A round trip through the proxy works; a latency toxic slows it by at least the latency; a disabled
 * proxy makes it fail; re-enabling restores it.
 */
export async function proveProxyInPath(
  endpoint: BrokerEndpoint,
): Promise<{ baseline: number; slowed: number }> {
  expect(endpoint.proxied).toBe(true);
  const api = new ToxiproxyApi(endpoint.toxiproxy!.apiUrl);
  const proxy = endpoint.toxiproxy!.proxy;
  // baseline: the second round trip (the first may create topics, queues, streams)
  await roundTrip(endpoint, { timeoutMs: 30_000 });
  const baseline = (await roundTrip(endpoint, { timeoutMs: 30_000 })).ms;

  await api.addToxic(proxy, {
    name: 'slow',
    type: 'latency',
    stream: 'downstream',
    attributes: { latency: LATENCY_MS, jitter: 0 },
  });
  let slowed: number;
  try {
    slowed = (await roundTrip(endpoint, { timeoutMs: 60_000 })).ms;
  } finally {
    await api.removeToxic(proxy, 'slow');
  }
  // every round trip has at least one request/response exchange, each delayed by LATENCY_MS
  expect(
    slowed - baseline,
    `baseline ${baseline.toFixed(0)} ms, with latency ${slowed.toFixed(0)} ms`,
  ).toBeGreaterThanOrEqual(LATENCY_MS * 0.9);

  await api.setEnabled(proxy, false);
  try {
    await expect(roundTrip(endpoint, { timeoutMs: 6000 })).rejects.toThrow(/round trip failed/);
  } finally {
    await api.setEnabled(proxy, true);
  }
  const restored = await roundTrip(endpoint, { timeoutMs: 60_000 });
  expect(restored.ms).toBeGreaterThan(0);
  return { baseline, slowed };
}

/**
 * Producers and consumers have proxies of their own: a round trip works through each, and cutting
 * one role's proxy fails only that role's round trips — the broker's own proxy and the other role's
 * keep working. (Kafka's health check also proves each role's listener advertises its own proxy.)
 */
export async function proveRolesSeparate(endpoint: BrokerEndpoint): Promise<void> {
  const roles = endpoint.roles;
  expect(roles, `${endpoint.broker} has per-role endpoints`).toBeDefined();
  for (const [role, other] of [
    ['producers', 'consumers'],
    ['consumers', 'producers'],
  ] as const) {
    const own = roles![role] as BrokerEndpoint;
    expect(own.proxied).toBe(true);
    expect(own.toxiproxy!.proxy).toBe(`${endpoint.broker}-${role}`);
    expect(own.port).not.toBe(endpoint.port);
    await roundTrip(own, { timeoutMs: 30_000 });
    const api = new ToxiproxyApi(own.toxiproxy!.apiUrl);
    await api.setEnabled(own.toxiproxy!.proxy, false);
    try {
      await expect(roundTrip(own, { timeoutMs: 6000 })).rejects.toThrow(/round trip failed/);
      await roundTrip(roles![other] as BrokerEndpoint, { timeoutMs: 30_000 });
      await roundTrip(endpoint, { timeoutMs: 30_000 });
    } finally {
      await api.setEnabled(own.toxiproxy!.proxy, true);
    }
    await roundTrip(own, { timeoutMs: 60_000 });
  }
}
