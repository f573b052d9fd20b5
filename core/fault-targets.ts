import type { BrokerName, ClientRole, ProxyRef } from './brokers.ts';

/**
 * Where a driver's broker can be hurt: its Toxiproxy proxies, and its process (native brokers).
 *
 * `toxiproxy` is the broker's own proxy (admin clients, health checks). `roles` are the producers'
 * and the consumers' own proxies, present when the driver connects each role through its own: a
 * network fault of role `producers` or `consumers` acts on that role's proxy only, and one of role
 * `all` on every proxy of the broker. Without `roles` every client goes through `toxiproxy`, and
 * only `all` can be injected.
 */
export interface FaultTargets {
  toxiproxy?: ProxyRef | undefined;
  roles?: Partial<Record<ClientRole, ProxyRef>> | undefined;
  /** The provisioned broker, for kill/pause (only brokers of `brokerproof brokers up`). */
  broker?: BrokerName | undefined;
}

/** The proxies a network fault of `role` acts on (`all`: the broker's own and each role's). */
export function proxiesOf(targets: FaultTargets, role: ClientRole | 'all' = 'all'): ProxyRef[] {
  if (role !== 'all') {
    const own = targets.roles?.[role];
    return own ? [own] : [];
  }
  const all = [targets.toxiproxy, targets.roles?.producers, targets.roles?.consumers].filter(
    (p): p is ProxyRef => p !== undefined,
  );
  return all.filter((p, i) => all.findIndex((q) => q.apiUrl === p.apiUrl && q.proxy === p.proxy) === i);
}
