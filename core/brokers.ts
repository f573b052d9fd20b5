/**
 * Names shared by every layer: the services brokerproof can provision, and the Toxiproxy proxy in
 * front of one (the handle faults act on). Provisioning fills them in; drivers and faults read them.
 *
 * Most are message brokers. `postgres` is a store scenarios keep their own state in (processed-ids
 * tables, outboxes): it is provisioned, proxied, killed and paused like a broker, but no driver
 * talks to it and it has no per-role proxies.
 */

export const BROKER_NAMES = ['kafka', 'rabbitmq', 'nats', 'elasticmq', 'moto', 'pubsub', 'postgres'] as const;
export type BrokerName = (typeof BROKER_NAMES)[number];

export function isBrokerName(value: string): value is BrokerName {
  return (BROKER_NAMES as readonly string[]).includes(value);
}

/** The provisioned services that are databases, not message brokers. */
export const STORE_NAMES = ['postgres'] as const satisfies readonly BrokerName[];
export type StoreName = (typeof STORE_NAMES)[number];
export type MessageBrokerName = Exclude<BrokerName, StoreName>;

export function isStoreName(value: string): value is StoreName {
  return (STORE_NAMES as readonly string[]).includes(value);
}

/** The message brokers only (what drivers can be placed on). */
export const MESSAGE_BROKER_NAMES: readonly MessageBrokerName[] = BROKER_NAMES.filter(
  (b): b is MessageBrokerName => !isStoreName(b),
);

/**
 * Who connects: producers and consumers reach a provisioned broker through Toxiproxy proxies of
 * their own, so a network fault can cut one side while the other keeps working. Admin clients
 * (topology, backlog, health checks) use the broker's own proxy.
 */
export const CLIENT_ROLES = ['producers', 'consumers'] as const;
export type ClientRole = (typeof CLIENT_ROLES)[number];

/** Whether producers and consumers get proxies of their own (message brokers; a store has one proxy). */
export function hasRoleProxies(broker: BrokerName): broker is MessageBrokerName {
  return !isStoreName(broker);
}

/** The Toxiproxy proxy name of a broker (admin) or of one role's link to it: `nats`, `nats-consumers`. */
export function proxyName(broker: BrokerName, role?: ClientRole): string {
  return role ? `${broker}-${role}` : broker;
}

/** A Toxiproxy proxy in front of a broker, for fault injection. */
export interface ProxyRef {
  /** Toxiproxy's HTTP API, e.g. `http://127.0.0.1:8474`. */
  apiUrl: string;
  /** The proxy's name in Toxiproxy (the broker's name, or `<broker>-<role>`). */
  proxy: string;
}

/**
 * A connection string fit for logs: the password (and any `password` query parameter) replaced by
 * `***`. Something that does not parse as a URL is not echoed at all, since it may hold a secret.
 */
export function redactConnectionString(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '<unparsable connection string>';
  }
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) {
    if (/pass|secret|token|key/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString();
}
