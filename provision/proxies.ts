/**
 * The Toxiproxy proxies in front of one broker: its own (`<broker>`: admin clients, health checks)
 * and one per client role (`<broker>-producers`, `<broker>-consumers`), each on a port of its own.
 * Every role proxy leads to the broker's client port, except Kafka's: Kafka clients reconnect to
 * the address the broker advertises, so each role has a listener of its own on the broker that
 * advertises its role's proxy. A store (PostgreSQL) has its own proxy only.
 */
import {
  type BrokerName,
  CLIENT_ROLES,
  type ClientRole,
  hasRoleProxies,
  proxyName,
} from '../core/brokers.ts';
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

/** The broker's proxies: its own first, then the producers' and the consumers' (message brokers only). */
export function proxyLayout(ports: PortPlan, broker: BrokerName): ProxyLayout[] {
  const own: ProxyLayout = {
    name: proxyName(broker),
    role: undefined,
    listen: ports[broker].proxy,
    upstream: roleUpstream(ports, broker, undefined),
  };
  if (!hasRoleProxies(broker)) return [own];
  const plan = ports[broker];
  return [
    own,
    ...CLIENT_ROLES.map((role) => ({
      name: proxyName(broker, role),
      role,
      listen: plan[role],
      upstream: roleUpstream(ports, broker, role),
    })),
  ];
}
