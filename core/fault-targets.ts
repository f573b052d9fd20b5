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
  /**
   * One case's per-consumer proxies, by consumer index (the order the runner creates them): a fault
   * of role `consumer` cuts one of them. Consumers then bypass the consumers' role proxy, so faults
   * on `consumers` and `all` act on these too.
   */
  consumers?: readonly ProxyRef[] | undefined;
  /** The driver can connect each consumer through a proxy of its own (`DriverCapabilities.consumerVia`). */
  perConsumer?: boolean | undefined;
  /** The provisioned broker, for kill/pause (only brokers of `brokerproof brokers up`). */
  broker?: BrokerName | undefined;
  /** The broker runs as a cluster of `brokers up --cluster N`: cluster faults act on its nodes. */
  cluster?: ClusterRef | undefined;
  /**
   * The node that leads the case's stream / partition / queue now (by node name), asked of the
   * broker's admin API; set per case from its topology (isolate-leader).
   */
  leader?: (() => Promise<string | undefined>) | undefined;
}

/** A cluster of native nodes, each in a network namespace of its own (provision/cluster/). */
export interface ClusterRef {
  broker: BrokerName;
  /** The cluster's state directory (node records, configs, data). */
  root: string;
  nodes: readonly ClusterNodeRef[];
}

export interface ClusterNodeRef {
  /** `n1`, `n2`, …: also the broker's own name for it (NATS server_name, Kafka node.id). */
  name: string;
  /** Its network namespace. */
  netns: string;
  /** Its address on the cluster bridge. */
  address: string;
}

/** The proxies a network fault of `role` acts on (`all`: the broker's own and each role's). */
export function proxiesOf(targets: FaultTargets, role: ClientRole | 'all' = 'all'): ProxyRef[] {
  const perConsumer = targets.consumers ?? [];
  if (role !== 'all') {
    const own = targets.roles?.[role];
    const found = own ? [own] : [];
    return role === 'consumers' ? [...found, ...perConsumer] : found;
  }
  const all = [targets.toxiproxy, targets.roles?.producers, targets.roles?.consumers, ...perConsumer].filter(
    (p): p is ProxyRef => p !== undefined,
  );
  return all.filter((p, i) => all.findIndex((q) => q.apiUrl === p.apiUrl && q.proxy === p.proxy) === i);
}
