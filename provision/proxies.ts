/**
 * The Toxiproxy proxies in front of one broker: its own (`<broker>`: admin clients, health checks)
 * and one per client role (`<broker>-producers`, `<broker>-consumers`), each on a port of its own.
 * Every role proxy leads to the broker's client port, except Kafka's: Kafka clients reconnect to
 * the address the broker advertises, so each role has a listener of its own on the broker that
 * advertises its role's proxy.
 */
import { type BrokerName, CLIENT_ROLES, type ClientRole, proxyName } from '../core/brokers.ts';
import type { PortPlan } from './ports.ts';

export interface ProxyLayout {
  name: string;
  /** Undefined: the broker's own proxy. */
  role: ClientRole | undefined;
  /** The Toxiproxy listener (a port of the plan's host). */
  listen: number;
  /** The broker port behind it. */
  upstream: number;
}

/** The broker port a role's proxy leads to (Kafka: the role's own listener). */
export function roleUpstream(ports: PortPlan, broker: BrokerName, role: ClientRole | undefined): number {
  if (broker === 'kafka' && role) return ports.kafka[`${role}Listener`];
  return ports[broker].upstream;
}

/** The broker's proxies: its own first, then the producers' and the consumers'. */
export function proxyLayout(ports: PortPlan, broker: BrokerName): ProxyLayout[] {
  return [undefined, ...CLIENT_ROLES].map((role) => ({
    name: proxyName(broker, role),
    role,
    listen: role ? ports[broker][role] : ports[broker].proxy,
    upstream: roleUpstream(ports, broker, role),
  }));
}
