import type { KafkaEndpoint } from '../../provision/endpoints.ts';
import { brokersStatus, endpointsFor } from '../../provision/local/index.ts';
import type { Driver } from '../driver.ts';
import type { Placement } from '../index.ts';
import { KafkaDriver } from './kafka-driver.ts';
import type { KafkaSettings } from './settings.ts';

/**
 * The brokers in `settings.brokers`, else the provisioned endpoint, else the native Kafka of this
 * machine. Faults reach it through its Toxiproxy proxy, and kill/pause it when it is native.
 */
export async function createKafkaDriver(
  settings: KafkaSettings = {},
  placement: Placement = {},
): Promise<Driver> {
  const given = settings.brokers !== undefined;
  const endpoint = given
    ? undefined
    : ((placement.endpoint as KafkaEndpoint | undefined) ?? endpointsFor('kafka'));
  const native = !given && (placement.endpoint === undefined || placement.native === true);
  return new KafkaDriver({
    brokers: settings.brokers ?? endpoint!.brokers,
    faultTargets: given
      ? undefined
      : { toxiproxy: endpoint?.toxiproxy, broker: native ? 'kafka' : undefined },
    timeouts: {
      send: settings.sendTimeoutMs,
      connection: settings.connectionTimeoutMs,
      request: settings.requestTimeoutMs,
      session: settings.sessionTimeoutMs,
      heartbeat: settings.heartbeatIntervalMs,
      rebalance: settings.rebalanceTimeoutMs,
      transaction: settings.transactionTimeoutMs,
    },
    minPartitions: settings.minPartitions,
    logLevel: settings.logLevel,
    // The native provisioner records which release it runs; other clusters are not asked.
    version: native
      ? async () => (await brokersStatus({ only: ['kafka'] })).brokers.kafka?.version ?? undefined
      : undefined,
  });
}
