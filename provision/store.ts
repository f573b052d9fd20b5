/**
 * The store (PostgreSQL) as a run gets it: brought up by the run's provisioner like a broker, and
 * handed over as an endpoint plus the fault targets the nemesis needs to hurt it. The store is never
 * a driver's broker: drivers get their broker's endpoint, scenarios get this one.
 *
 *   const store = await provisionStore(provisioner);   // { endpoint, native, faultTargets }
 *   log(`store at ${store.endpoint.redacted}`);        // never the connection string itself
 */
import { BrokerUnavailableError } from '../core/errors.ts';
import type { FaultTargets } from '../core/fault-targets.ts';
import type { EndpointMap, PostgresEndpoint, StoreName } from './endpoints.ts';
import type { Provisioner } from './provisioner.ts';

/** The provisioned service the store runs as. */
export const STORE_SERVICE: StoreName = 'postgres';

export interface StorePlacement {
  endpoint: PostgresEndpoint;
  /** It runs natively (`brokerproof brokers up`): `broker-kill` and `broker-pause` can act on it. */
  native: boolean;
  /** Where faults reach it: its Toxiproxy proxy (when proxied) and, when native, its process. */
  faultTargets: FaultTargets;
}

/**
 * Brings the store up with the run's provisioner (idempotent; local starts it, external reads
 * `endpoints.postgres` from the config, docker refuses with a clear error) and says where it is.
 */
export async function provisionStore(provisioner: Pick<Provisioner, 'kind' | 'up'>): Promise<StorePlacement> {
  const endpoint = storeEndpoint(await provisioner.up([STORE_SERVICE]));
  const native = provisioner.kind === 'local';
  return { endpoint, native, faultTargets: storeFaultTargets(endpoint, native) };
}

/** The store's endpoint among a provisioner's endpoints; a clear error when it is not there. */
export function storeEndpoint(endpoints: EndpointMap): PostgresEndpoint {
  const endpoint = endpoints[STORE_SERVICE];
  if (!endpoint) {
    throw new BrokerUnavailableError('no PostgreSQL store was provisioned', {
      hint: 'Start it with `brokerproof brokers up --only postgres`, or give `endpoints.postgres.url` in the config with --provision external.',
    });
  }
  return endpoint;
}

/**
 * Where faults reach the store: network faults through its one proxy (every client shares it, so
 * only role `all` applies), kill and pause on its process when it runs natively.
 */
export function storeFaultTargets(endpoint: PostgresEndpoint, native: boolean): FaultTargets {
  return { toxiproxy: endpoint.toxiproxy, broker: native ? endpoint.broker : undefined };
}
