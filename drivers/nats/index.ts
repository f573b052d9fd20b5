import { endpointsFor } from '../../provision/local/index.ts';
import type { Driver } from '../driver.ts';
import type { Placement } from '../index.ts';
import { NatsDriver } from './nats-driver.ts';
import type { NatsSettings } from './settings.ts';

/**
 * The servers in `settings`, else the provisioned endpoint, else the native nats-server of this
 * machine. Faults reach the broker through its Toxiproxy proxy (and kill/pause it when it is the
 * native one); servers given in the settings carry no proxy the driver knows of.
 */
export async function createNatsDriver(
  settings: NatsSettings = {},
  placement: Placement = {},
): Promise<Driver> {
  if (settings.servers) return new NatsDriver({ ...settings, servers: settings.servers });
  const provisioned = placement.endpoint?.broker === 'nats' ? placement.endpoint : undefined;
  const nats = provisioned ?? endpointsFor('nats');
  const native = provisioned === undefined || placement.native === true;
  return new NatsDriver({
    ...settings,
    servers: nats.servers,
    faultTargets: { toxiproxy: nats.toxiproxy, broker: native ? 'nats' : undefined },
  });
}
