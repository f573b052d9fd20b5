/**
 * Where a broker is, as drivers need it. One shape per broker, keyed by `broker`, whichever way the
 * broker was provisioned (native processes, Docker, or endpoints given in the config). `host`/`port`
 * is the address admin clients use: behind Toxiproxy when `proxied` is true, so faults can be
 * injected. `roles`, when present, gives producers and consumers an address of their own (each
 * behind its own proxy), so a fault can cut one role's link alone; without it every client uses
 * the one address.
 */

export {
  BROKER_NAMES,
  type BrokerName,
  CLIENT_ROLES,
  type ClientRole,
  hasRoleProxies,
  isBrokerName,
  isStoreName,
  MESSAGE_BROKER_NAMES,
  type MessageBrokerName,
  type ProxyRef,
  proxyName,
  redactConnectionString,
  STORE_NAMES,
  type StoreName,
} from '../core/brokers.ts';

import {
  type BrokerName,
  type ClientRole,
  hasRoleProxies,
  type ProxyRef,
  redactConnectionString,
} from '../core/brokers.ts';
import type { ClusterRef } from '../core/fault-targets.ts';

export interface HostPort {
  host: string;
  port: number;
}

interface EndpointBase<Self> extends HostPort {
  /** `host:port` — what a client connects to. */
  address: string;
  /** True when `address` is a Toxiproxy listener in front of the broker. */
  proxied: boolean;
  toxiproxy?: ProxyRef | undefined;
  /** The broker's own address, bypassing the proxy (diagnostics only; drivers use `address`). */
  upstream?: HostPort | undefined;
  /**
   * The producers' and the consumers' own way in (same shape, their own proxy; never nested).
   * Absent: every client uses this endpoint, and a fault cannot tell the roles apart.
   */
  roles?: Record<ClientRole, Self> | undefined;
  /** The broker is a cluster of native nodes in network namespaces (`brokers up --cluster N`). */
  cluster?: ClusterRef | undefined;
}

export interface KafkaEndpoint extends EndpointBase<KafkaEndpoint> {
  broker: 'kafka';
  /** kafkajs `brokers`. */
  brokers: string[];
}

export interface RabbitmqEndpoint extends EndpointBase<RabbitmqEndpoint> {
  broker: 'rabbitmq';
  /** amqplib connection URL, e.g. `amqp://guest:guest@127.0.0.1:5672`. */
  url: string;
  /** A cluster's nodes, `url` first: a client that cannot reach one tries the next. */
  urls?: string[] | undefined;
}

export interface NatsEndpoint extends EndpointBase<NatsEndpoint> {
  broker: 'nats';
  /** @nats-io/transport-node `servers`. */
  servers: string[];
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** An SQS-compatible endpoint (ElasticMQ: SQS only; moto: SQS and SNS). */
export interface SqsEndpoint extends EndpointBase<SqsEndpoint> {
  broker: 'elasticmq' | 'moto';
  /** AWS SDK v3 `endpoint`, e.g. `http://127.0.0.1:9324`; undefined for real AWS (the SDK's default). */
  endpoint: string | undefined;
  region: string;
  /** Undefined: the SDK's default credential chain (real AWS). */
  credentials: AwsCredentials | undefined;
  /** SNS is served at the same endpoint (moto). */
  sns: boolean;
}

export interface PubsubEndpoint extends EndpointBase<PubsubEndpoint> {
  broker: 'pubsub';
  /** @google-cloud/pubsub `apiEndpoint` (`host:port`; emulator mode is implied). */
  apiEndpoint: string;
  projectId: string;
}

/**
 * PostgreSQL, the store scenarios keep their state in (stores/postgres-store.ts). Every client goes
 * through the one proxy: there are no per-role ways in.
 */
export interface PostgresEndpoint extends EndpointBase<PostgresEndpoint> {
  broker: 'postgres';
  /** node-postgres `connectionString`, e.g. `postgres://brokerproof@127.0.0.1:5433/brokerproof`. May hold a password. */
  connectionString: string;
  /** `connectionString` with any password replaced by `***`: what logs and reports print. */
  redacted: string;
}

/** Where any provisioned service is; drivers only ever get the message brokers among them. */
export type BrokerEndpoint =
  | KafkaEndpoint
  | RabbitmqEndpoint
  | NatsEndpoint
  | SqsEndpoint
  | PubsubEndpoint
  | PostgresEndpoint;

export type EndpointOf<B extends BrokerName> = B extends 'kafka'
  ? KafkaEndpoint
  : B extends 'rabbitmq'
    ? RabbitmqEndpoint
    : B extends 'nats'
      ? NatsEndpoint
      : B extends 'elasticmq' | 'moto'
        ? SqsEndpoint
        : B extends 'pubsub'
          ? PubsubEndpoint
          : PostgresEndpoint;

export type EndpointMap = { [B in BrokerName]?: EndpointOf<B> };

/**
 * The endpoint a client of `role` uses: its role's own, else the broker's (`admin`: always the
 * broker's own — topology, backlog, cleanup).
 */
export function endpointForRole<E extends BrokerEndpoint>(endpoint: E, role: ClientRole | 'admin'): E {
  if (role === 'admin') return endpoint;
  return (endpoint.roles?.[role] as E | undefined) ?? endpoint;
}

/**
 * Where a driver's broker is, as its caller (the CLI's provisioner, a test, a bench) hands it over:
 * drivers never look for brokers themselves.
 */
export interface Placement {
  endpoint?: BrokerEndpoint | undefined;
  /** The broker runs natively here (`brokerproof brokers up`): broker faults can kill and pause it. */
  native?: boolean | undefined;
  /** The broker's release, when the provisioner knows it (diagnostics). */
  version?: (() => Promise<string | undefined>) | undefined;
}

/** Credentials the local emulators accept (they do not check them). */
export const EMULATOR_CREDENTIALS: AwsCredentials = {
  accessKeyId: 'brokerproof',
  secretAccessKey: 'brokerproof',
};
export const EMULATOR_REGION = 'us-east-1';
export const PUBSUB_PROJECT_ID = 'brokerproof';
/** The role and database `brokerproof brokers up` creates in its PostgreSQL (trust authentication: no password). */
export const POSTGRES_USER = 'brokerproof';
export const POSTGRES_DATABASE = 'brokerproof';

/** The endpoint of a PostgreSQL reached at `connectionString` (a `postgres://` URL). */
export function postgresEndpoint(
  connectionString: string,
  address: HostPort,
  toxiproxy?: ProxyRef | undefined,
  upstream?: HostPort | undefined,
): PostgresEndpoint {
  return {
    ...address,
    address: `${address.host}:${address.port}`,
    proxied: toxiproxy !== undefined,
    toxiproxy,
    upstream,
    broker: 'postgres',
    connectionString,
    redacted: redactConnectionString(connectionString),
  };
}

interface BuildOptions {
  host: string;
  port: number;
  toxiproxy?: ProxyRef | undefined;
  upstream?: HostPort | undefined;
  /** Each role's own port and proxy (same host), and the broker listener behind it. */
  roles?:
    | Record<ClientRole, { port: number; toxiproxy?: ProxyRef | undefined; upstream?: HostPort | undefined }>
    | undefined;
}

/** Builds the endpoint of a broker listening (or proxied) at host:port with the local defaults. */
export function buildEndpoint<B extends BrokerName>(broker: B, options: BuildOptions): EndpointOf<B> {
  const endpoint = buildOne(broker, options);
  // A store has one proxy for every client: roles would name proxies that do not exist.
  if (options.roles && hasRoleProxies(broker)) {
    const role = (r: ClientRole) => buildOne(broker, { ...options, ...options.roles![r] });
    endpoint.roles = { producers: role('producers'), consumers: role('consumers') } as never;
  }
  return endpoint;
}

function buildOne<B extends BrokerName>(broker: B, options: BuildOptions): EndpointOf<B> {
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
    case 'postgres':
      return postgresEndpoint(
        `postgres://${POSTGRES_USER}@${address}/${POSTGRES_DATABASE}`,
        { host, port },
        options.toxiproxy,
        options.upstream,
      ) as EndpointOf<B>;
    default:
      throw new Error(`unknown broker ${String(broker)}`);
  }
}
