import type { BrokerName, ProxyRef } from './brokers.ts';

/** Where a driver's broker can be hurt: its Toxiproxy proxy, and its process (native brokers). */
export interface FaultTargets {
  toxiproxy?: ProxyRef | undefined;
  /** The provisioned broker, for kill/pause (only brokers of `brokerproof brokers up`). */
  broker?: BrokerName | undefined;
}
