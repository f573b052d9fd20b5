import type { BrokerName, EndpointOf } from '../../provision/endpoints.ts';
import { brokersUp, endpointsFor } from '../../provision/local/index.ts';

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
