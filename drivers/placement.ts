/**
 * Drivers are handed their broker (provision/endpoints.ts `Placement`) by whoever creates them —
 * the CLI's provisioner, a test, a bench — and never look for one themselves. A driver created
 * without one (and without an address in its settings) can still `attach` to a topology another
 * process created, since the topology's descriptor says where the broker is: that is what consumer
 * worker processes do.
 */
import { UsageError } from '../core/errors.ts';
import type { FaultTargets } from '../core/fault-targets.ts';
import type { BrokerEndpoint } from '../provision/endpoints.ts';

export type { Placement } from '../provision/endpoints.ts';

/** What `createTopology` of a driver without a broker throws. */
export function noBroker(driver: string, setting: string): UsageError {
  return new UsageError(
    `driver ${driver} was created without a broker: it can only attach to topologies created elsewhere`,
    {
      hint: `Hand it a provisioned endpoint (createDriver(name, settings, { endpoint })), or set ${setting} in the config.`,
    },
  );
}

/** Where faults reach a placed broker: its proxies (its own and each role's), its process if native. */
export function faultTargetsOf(endpoint: BrokerEndpoint, native: boolean | undefined): FaultTargets {
  const roles = endpoint.roles;
  return {
    toxiproxy: endpoint.toxiproxy,
    roles: roles && { producers: roles.producers.toxiproxy, consumers: roles.consumers.toxiproxy },
    broker: native ? endpoint.broker : undefined,
    cluster: endpoint.cluster,
  };
}
