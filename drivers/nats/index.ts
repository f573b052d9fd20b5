import type { NatsEndpoint } from '../../provision/endpoints.ts';
import type { Driver } from '../driver.ts';
import { faultTargetsOf, type Placement } from '../placement.ts';
import { NatsDriver } from './nats-driver.ts';
import type { NatsSettings } from './settings.ts';

/**
 * The servers in `settings` (every client there; no proxy the driver knows of), else the placed
 * endpoint: admin connections through the broker's own proxy, producers and consumers through
 * their roles' (when it has them). Faults reach it through its proxies, and kill/pause it when it
 * is native. Without either, the driver can only attach (worker processes).
 */
export async function createNatsDriver(
  settings: NatsSettings = {},
  placement: Placement = {},
): Promise<Driver> {
  if (settings.servers) return new NatsDriver({ ...settings, servers: settings.servers });
  const endpoint = placement.endpoint?.broker === 'nats' ? (placement.endpoint as NatsEndpoint) : undefined;
  if (!endpoint) return new NatsDriver({ ...settings, servers: [] });
  const roles = endpoint.roles;
  return new NatsDriver({
    ...settings,
    servers: endpoint.servers,
    roles: roles && { producers: roles.producers.servers, consumers: roles.consumers.servers },
    faultTargets: faultTargetsOf(endpoint, placement.native),
    cluster: endpoint.cluster !== undefined,
  });
}
