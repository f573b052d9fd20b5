/**
 * Names shared by every layer: the brokers brokerproof can provision, and the Toxiproxy proxy in
 * front of one (the handle faults act on). Provisioning fills them in; drivers and faults read them.
 */

export const BROKER_NAMES = ['kafka', 'rabbitmq', 'nats', 'elasticmq', 'moto', 'pubsub'] as const;
export type BrokerName = (typeof BROKER_NAMES)[number];

export function isBrokerName(value: string): value is BrokerName {
  return (BROKER_NAMES as readonly string[]).includes(value);
}

/** A Toxiproxy proxy in front of a broker, for fault injection. */
export interface ProxyRef {
  /** Toxiproxy's HTTP API, e.g. `http://127.0.0.1:8474`. */
  apiUrl: string;
  /** The proxy's name in Toxiproxy (the broker's name). */
  proxy: string;
}
