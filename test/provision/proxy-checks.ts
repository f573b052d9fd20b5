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
