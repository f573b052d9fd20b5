import type { KafkaEndpoint } from '../../provision/endpoints.ts';
import type { Driver } from '../driver.ts';
import { faultTargetsOf, type Placement } from '../placement.ts';
import { KafkaDriver } from './kafka-driver.ts';
import type { KafkaSettings } from './settings.ts';

/**
 * The brokers in `settings.brokers` (every client there), else the placed endpoint: admin clients
 * through the broker's own proxy, producers and consumers through their roles' (when it has them).
 * Faults reach it through its proxies, and kill/pause it when it is native. Without either, the
 * driver can only attach (worker processes).
 */
export async function createKafkaDriver(
  settings: KafkaSettings = {},
  placement: Placement = {},
): Promise<Driver> {
  const given = settings.brokers !== undefined;
  const endpoint = given ? undefined : (placement.endpoint as KafkaEndpoint | undefined);
  const roles = endpoint?.roles;
  return new KafkaDriver({
    brokers: settings.brokers ?? endpoint?.brokers ?? [],
    roles: roles && { producers: roles.producers.brokers, consumers: roles.consumers.brokers },
    faultTargets: endpoint && faultTargetsOf(endpoint, placement.native),
    cluster: endpoint?.cluster !== undefined,
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
    version: endpoint ? placement.version : undefined,
  });
}
