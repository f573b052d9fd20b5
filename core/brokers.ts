/**
 * Names shared by every layer: the brokers brokerproof can provision, and the Toxiproxy proxy in
 * front of one (the handle faults act on). Provisioning fills them in; drivers and faults read them.
 */

export const BROKER_NAMES = ['kafka', 'rabbitmq', 'nats', 'elasticmq', 'moto', 'pubsub'] as const;
export type BrokerName = (typeof BROKER_NAMES)[number];

export function isBrokerName(value: string): value is BrokerName {
  return (BROKER_NAMES as readonly string[]).includes(value);
}

/**
 * Who connects: producers and consumers reach a provisioned broker through Toxiproxy proxies of
 * their own, so a network fault can cut one side while the other keeps working. Admin clients
 * (topology, backlog, health checks) use the broker's own proxy.
 */
export const CLIENT_ROLES = ['producers', 'consumers'] as const;
export type ClientRole = (typeof CLIENT_ROLES)[number];

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
