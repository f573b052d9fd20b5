import type { BrokerName, EndpointOf, Placement } from '../../provision/endpoints.ts';
import { brokersStatus, brokersUp, endpointsFor } from '../../provision/local/index.ts';

/**
 * A real broker for an integration test: brought up natively (idempotent, so fast when it already
 * runs) through the project's own provisioner, the same way `brokerproof brokers up` does.
 */
export async function requireBroker<B extends BrokerName>(broker: B): Promise<EndpointOf<B>> {
  const { failures } = await brokersUp({ only: [broker] });
  if (failures.length > 0) {
    throw new Error(
      `${broker} did not come up: ${failures.map((f) => `${f.message}${f.hint ? ` (${f.hint})` : ''}`).join('; ')}`,
    );
  }
  return endpointsFor(broker);
}

/**
 * Where a native broker is, as `brokerproof run` hands it to a driver: its endpoint (the broker's
 * own proxy for admin clients, each role's for producers and consumers), native (kill/pause), and
 * its recorded version.
 */
export function placementOf(broker: BrokerName): Placement & { endpoint: EndpointOf<typeof broker> } {
  return {
    endpoint: endpointsFor(broker),
    native: true,
    version: async () => (await brokersStatus({ only: [broker] })).brokers[broker]?.version ?? undefined,
  };
}
