import type { RabbitmqEndpoint } from '../../provision/endpoints.ts';
import { endpointsFor } from '../../provision/local/index.ts';
import type { Driver } from '../driver.ts';
import { RabbitmqDriver } from './rabbitmq-driver.ts';
import type { RabbitmqSettings } from './settings.ts';

/** The broker at `settings.url`, else the provisioned endpoint, else the native one of this machine. */
export async function createRabbitmqDriver(
  settings: RabbitmqSettings = {},
  endpoint?: RabbitmqEndpoint,
): Promise<Driver> {
  const url = settings.url ?? endpoint?.url ?? endpointsFor('rabbitmq').url;
  return new RabbitmqDriver({ ...settings, url });
}
