import type { RabbitmqEndpoint } from '../../provision/endpoints.ts';
import { endpointsFor } from '../../provision/local/index.ts';
import type { Driver } from '../driver.ts';
import type { Placement } from '../index.ts';
import { RabbitmqDriver } from './rabbitmq-driver.ts';
import type { RabbitmqSettings } from './settings.ts';

/**
 * The broker at `settings.url`, else the provisioned endpoint, else the native one of this machine.
 * Faults can reach it through its Toxiproxy proxy, and kill/pause it when it is native.
 */
export async function createRabbitmqDriver(
  settings: RabbitmqSettings = {},
  placement: Placement = {},
): Promise<Driver> {
  if (settings.url) return new RabbitmqDriver({ ...settings, url: settings.url });
  const endpoint = (placement.endpoint as RabbitmqEndpoint | undefined) ?? endpointsFor('rabbitmq');
  const native = placement.endpoint === undefined || placement.native === true;
  return new RabbitmqDriver({
    ...settings,
    url: endpoint.url,
    faultTargets: { toxiproxy: endpoint.toxiproxy, broker: native ? 'rabbitmq' : undefined },
  });
}
