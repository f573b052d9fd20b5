/**
 * A push endpoint behind its consumer's own Toxiproxy proxy. The runner makes a per-consumer proxy
 * (for `@consumer` faults) as a copy of the consumers' link to the broker; a push consumer never
 * connects to the broker, so it points that proxy at its own server instead: the broker's pushes
 * then reach it through the proxy, and a fault on it cuts or slows the delivery path.
 */
import type { HostPort } from '../../provision/endpoints.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';

const portOf = (listen: string) => Number(listen.slice(listen.lastIndexOf(':') + 1));

/** Points the proxy listening at `via` to `upstream` (throws when no proxy listens there). */
export async function pointProxyAt(apiUrl: string, via: HostPort, upstream: HostPort): Promise<string> {
  const api = new ToxiproxyApi(apiUrl, { timeoutMs: 3000 });
  const proxies = await api.proxies();
  const found = Object.values(proxies).find((p) => portOf(p.listen) === via.port);
  if (!found) throw new Error(`no Toxiproxy proxy listens at ${via.host}:${via.port} (${apiUrl})`);
  const response = await fetch(`${api.apiUrl}/proxies/${encodeURIComponent(found.name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ upstream: `${upstream.host}:${upstream.port}` }),
    signal: AbortSignal.timeout(3000),
  });
  if (!response.ok)
    throw new Error(`Toxiproxy refused to point ${found.name} at the push endpoint: HTTP ${response.status}`);
  return found.name;
}
