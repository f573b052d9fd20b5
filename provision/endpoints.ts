/**
 * Where a broker is, as drivers need it. One shape per broker, keyed by `broker`, whichever way the
 * broker was provisioned (native processes, Docker, or endpoints given in the config). `host`/`port`
 * is the address clients use: behind Toxiproxy when `proxied` is true, so faults can be injected.
 */

export { BROKER_NAMES, type BrokerName, isBrokerName, type ProxyRef } from '../core/brokers.ts';

import type { BrokerName, ProxyRef } from '../core/brokers.ts';

export interface HostPort {
  host: string;
  port: number;
}

interface EndpointBase extends HostPort {
  /** `host:port` — what a client connects to. */
  address: string;
  /** True when `address` is a Toxiproxy listener in front of the broker. */
  proxied: boolean;
  toxiproxy?: ProxyRef | undefined;
  /** The broker's own address, bypassing the proxy (diagnostics only; drivers use `address`). */
  upstream?: HostPort | undefined;
}

export interface KafkaEndpoint extends EndpointBase {
  broker: 'kafka';
  /** kafkajs `brokers`. */
  brokers: string[];
}

export interface RabbitmqEndpoint extends EndpointBase {
  broker: 'rabbitmq';
  /** amqplib connection URL, e.g. `amqp://guest:guest@127.0.0.1:5672`. */
  url: string;
}

export interface NatsEndpoint extends EndpointBase {
  broker: 'nats';
  /** @nats-io/transport-node `servers`. */
  servers: string[];
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** An SQS-compatible endpoint (ElasticMQ: SQS only; moto: SQS and SNS). */
export interface SqsEndpoint extends EndpointBase {
  broker: 'elasticmq' | 'moto';
  /** AWS SDK v3 `endpoint`, e.g. `http://127.0.0.1:9324`; undefined for real AWS (the SDK's default). */
  endpoint: string | undefined;
  region: string;
  /** Undefined: the SDK's default credential chain (real AWS). */
  credentials: AwsCredentials | undefined;
  /** SNS is served at the same endpoint (moto). */
  sns: boolean;
}

export interface PubsubEndpoint extends EndpointBase {
  broker: 'pubsub';
  /** @google-cloud/pubsub `apiEndpoint` (`host:port`; emulator mode is implied). */
  apiEndpoint: string;
  projectId: string;
}

export type BrokerEndpoint = KafkaEndpoint | RabbitmqEndpoint | NatsEndpoint | SqsEndpoint | PubsubEndpoint;

export type EndpointOf<B extends BrokerName> = B extends 'kafka'
  ? KafkaEndpoint
  : B extends 'rabbitmq'
    ? RabbitmqEndpoint
    : B extends 'nats'
      ? NatsEndpoint
      : B extends 'elasticmq' | 'moto'
        ? SqsEndpoint
        : PubsubEndpoint;

export type EndpointMap = { [B in BrokerName]?: EndpointOf<B> };

/** Credentials the local emulators accept (they do not check them). */
export const EMULATOR_CREDENTIALS: AwsCredentials = {
  accessKeyId: 'brokerproof',
  secretAccessKey: 'brokerproof',
};
export const EMULATOR_REGION = 'us-east-1';
export const PUBSUB_PROJECT_ID = 'brokerproof';

interface BuildOptions {
  host: string;
  port: number;
  toxiproxy?: ProxyRef | undefined;
  upstream?: HostPort | undefined;
}

/** Builds the endpoint of a broker listening (or proxied) at host:port with the local defaults. */
export function buildEndpoint<B extends BrokerName>(broker: B, options: BuildOptions): EndpointOf<B> {
  const { host, port } = options;
  const address = `${host}:${port}`;
  const base = {
    host,
    port,
    address,
    proxied: options.toxiproxy !== undefined,
    toxiproxy: options.toxiproxy,
    upstream: options.upstream,
  };
  switch (broker) {
    case 'kafka':
      return { ...base, broker, brokers: [address] } as EndpointOf<B>;
    case 'rabbitmq':
      return { ...base, broker, url: `amqp://guest:guest@${address}` } as EndpointOf<B>;
    case 'nats':
      return { ...base, broker, servers: [`nats://${address}`] } as EndpointOf<B>;
    case 'elasticmq':
    case 'moto':
      return {
        ...base,
        broker,
        endpoint: `http://${address}`,
        region: EMULATOR_REGION,
        credentials: EMULATOR_CREDENTIALS,
        sns: broker === 'moto',
      } as EndpointOf<B>;
    case 'pubsub':
      return { ...base, broker, apiEndpoint: address, projectId: PUBSUB_PROJECT_ID } as EndpointOf<B>;
    default:
      throw new Error(`unknown broker ${String(broker)}`);
  }
}
