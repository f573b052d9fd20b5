import type { RabbitmqEndpoint } from '../../provision/endpoints.ts';
import type { Driver } from '../driver.ts';
import { faultTargetsOf, type Placement } from '../placement.ts';
import { RabbitmqDriver } from './rabbitmq-driver.ts';
import type { RabbitmqSettings } from './settings.ts';

/**
 * The broker at `settings.url` (every client there), else the placed endpoint: admin connections
 * through the broker's own proxy, producers and consumers through their roles' (when it has
 * them). Faults reach it through its proxies, and kill/pause it when it is native. Without either,
 * the driver can only attach (worker processes).
 */
export async function createRabbitmqDriver(
  settings: RabbitmqSettings = {},
  placement: Placement = {},
): Promise<Driver> {
  if (settings.url) return new RabbitmqDriver({ ...settings, url: settings.url });
  const endpoint =
    placement.endpoint?.broker === 'rabbitmq' ? (placement.endpoint as RabbitmqEndpoint) : undefined;
  if (!endpoint) return new RabbitmqDriver({ ...settings, url: undefined });
  const roles = endpoint.roles;
  return new RabbitmqDriver({
    ...settings,
    url: endpoint.url,
    roles: roles && { producers: roles.producers.url, consumers: roles.consumers.url },
    faultTargets: faultTargetsOf(endpoint, placement.native),
    cluster: endpoint.cluster && {
      urls: endpoint.urls ?? [endpoint.url],
      nodes: endpoint.cluster.nodes,
    },
  });
}
