/**
 * `--provision external`: brokers someone else runs (a team's staging cluster, real AWS SQS), named
 * in the config. Nothing is started or stopped. A broker is `proxied` only when the config names the
 * Toxiproxy proxy in front of it; without one, network faults cannot be injected for it. `roles`
 * gives producers and consumers their own ways in (and proxies); without it they share the one
 * address, and network faults can only target everyone.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import {
  BROKER_NAMES,
  type BrokerEndpoint,
  type BrokerName,
  EMULATOR_REGION,
  type EndpointMap,
  type KafkaEndpoint,
  type NatsEndpoint,
  type PostgresEndpoint,
  PUBSUB_PROJECT_ID,
  type PubsubEndpoint,
  postgresEndpoint,
  type RabbitmqEndpoint,
  type SqsEndpoint,
} from './endpoints.ts';

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');
/** The name of this broker's proxy in the Toxiproxy named by `toxiproxy.apiUrl`. */
const proxyName = z.string().min(1).optional();

const kafkaShape = z.strictObject({ brokers: z.array(hostPort).min(1), proxy: proxyName });
const rabbitmqShape = z.strictObject({
  url: z.string().regex(/^amqps?:\/\//, 'expected amqp:// or amqps://'),
  proxy: proxyName,
});
const natsShape = z.strictObject({ servers: z.array(z.string().min(1)).min(1), proxy: proxyName });
const credentials = z.strictObject({ accessKeyId: z.string(), secretAccessKey: z.string() });
const elasticmqShape = z.strictObject({
  endpoint: z.url(),
  region: z.string().min(1).optional(),
  credentials: credentials.optional(),
  proxy: proxyName,
});
const motoShape = z.strictObject({
  /** Omit for real AWS (the SDK's default endpoint and credential chain). */
  endpoint: z.url().optional(),
  region: z.string().min(1).optional(),
  credentials: credentials.optional(),
  proxy: proxyName,
});
const pubsubShape = z.strictObject({
  apiEndpoint: hostPort,
  projectId: z.string().min(3).optional(),
  proxy: proxyName,
});

/** The store: a PostgreSQL connection string (its password is never printed), one proxy at most. */
const postgresShape = z.strictObject({
  url: z.string().regex(/^postgres(ql)?:\/\/[^\s]+$/, 'expected a postgres:// or postgresql:// URL'),
  proxy: proxyName,
});

/**
 * A broker's endpoint, and optionally the producers' and consumers' own ways in (same keys; each
 * behind its own proxy), so network faults can target one role.
 */
const roles = <S extends z.ZodType>(shape: S) =>
  z.strictObject({ producers: shape, consumers: shape }).optional();

export const externalEndpointsSchema = z.strictObject({
  toxiproxy: z.strictObject({ apiUrl: z.url() }).optional(),
  kafka: kafkaShape.extend({ roles: roles(kafkaShape) }).optional(),
  rabbitmq: rabbitmqShape.extend({ roles: roles(rabbitmqShape) }).optional(),
  nats: natsShape.extend({ roles: roles(natsShape) }).optional(),
  elasticmq: elasticmqShape.extend({ roles: roles(elasticmqShape) }).optional(),
  moto: motoShape.extend({ roles: roles(motoShape) }).optional(),
  pubsub: pubsubShape.extend({ roles: roles(pubsubShape) }).optional(),
  postgres: postgresShape.optional(),
});

export type ExternalEndpointsConfig = z.input<typeof externalEndpointsSchema>;

function splitHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

function fromUrl(url: string, defaultPort: number): { host: string; port: number } {
  try {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : defaultPort };
  } catch {
    return { host: url, port: defaultPort };
  }
}

/** Validates the config's endpoints and turns them into the endpoint shapes drivers use. */
export function externalEndpoints(config: unknown): EndpointMap {
  const parsed = externalEndpointsSchema.safeParse(config ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`endpoints.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`, {
      cause: parsed.error,
      hint: 'See docs/brokers.md ("External brokers") for the shape of `endpoints` in the config.',
    });
  }
  const c = parsed.data;
  const proxyRef = (proxy: string | undefined) => {
    if (!proxy) return undefined;
    if (!c.toxiproxy) {
      throw new ConfigError(`a proxy name (${proxy}) is given but endpoints.toxiproxy.apiUrl is not`, {
        hint: 'Add endpoints.toxiproxy.apiUrl, the HTTP API of the Toxiproxy in front of your brokers.',
      });
    }
    return { apiUrl: c.toxiproxy.apiUrl, proxy };
  };
  const base = (address: { host: string; port: number }, proxy: string | undefined) => {
    const toxiproxy = proxyRef(proxy);
    return {
      ...address,
      address: `${address.host}:${address.port}`,
      proxied: toxiproxy !== undefined,
      toxiproxy,
    };
  };
  const kafka = (e: z.output<typeof kafkaShape>): KafkaEndpoint => ({
    ...base(splitHostPort(e.brokers[0]!), e.proxy),
    broker: 'kafka',
    brokers: e.brokers,
  });
  const rabbitmq = (e: z.output<typeof rabbitmqShape>): RabbitmqEndpoint => ({
    ...base(fromUrl(e.url, 5672), e.proxy),
    broker: 'rabbitmq',
    url: e.url,
  });
  const nats = (e: z.output<typeof natsShape>): NatsEndpoint => ({
    ...base(fromUrl(e.servers[0]!, 4222), e.proxy),
    broker: 'nats',
    servers: e.servers,
  });
  const sqs =
    (broker: 'elasticmq' | 'moto') =>
    (e: z.output<typeof motoShape>): SqsEndpoint => ({
      ...base(e.endpoint ? fromUrl(e.endpoint, 443) : { host: 'sqs.amazonaws.com', port: 443 }, e.proxy),
      broker,
      endpoint: e.endpoint,
      region: e.region ?? (e.endpoint ? EMULATOR_REGION : (process.env.AWS_REGION ?? EMULATOR_REGION)),
      credentials: e.credentials,
      sns: broker === 'moto',
    });
  const pubsub = (e: z.output<typeof pubsubShape>): PubsubEndpoint => ({
    ...base(splitHostPort(e.apiEndpoint), e.proxy),
    broker: 'pubsub',
    apiEndpoint: e.apiEndpoint,
    projectId: e.projectId ?? PUBSUB_PROJECT_ID,
  });
  const postgres = (e: z.output<typeof postgresShape>): PostgresEndpoint => {
    let url: URL;
    try {
      url = new URL(e.url);
    } catch {
      // Neither echoed nor kept as the cause (Node's URL error carries the input): it may hold a password.
      throw new ConfigError('endpoints.postgres.url is not a valid URL', {
        hint: 'Use postgres://user:password@host:5432/database (percent-encode special characters in the password).',
      });
    }
    const address = { host: url.hostname || 'localhost', port: url.port ? Number(url.port) : 5432 };
    return postgresEndpoint(e.url, address, proxyRef(e.proxy));
  };
  const map: EndpointMap = {};
  if (c.kafka) map.kafka = withRoleEndpoints(c.kafka, kafka);
  if (c.rabbitmq) map.rabbitmq = withRoleEndpoints(c.rabbitmq, rabbitmq);
  if (c.nats) map.nats = withRoleEndpoints(c.nats, nats);
  if (c.elasticmq) map.elasticmq = withRoleEndpoints(c.elasticmq, sqs('elasticmq'));
  if (c.moto) map.moto = withRoleEndpoints(c.moto, sqs('moto'));
  if (c.pubsub) map.pubsub = withRoleEndpoints(c.pubsub, pubsub);
  if (c.postgres) map.postgres = postgres(c.postgres);
  return map;
}

/** The endpoint, with its roles' own when the config gives them. */
function withRoleEndpoints<C, E>(
  config: C & { roles?: { producers: C; consumers: C } | undefined },
  build: (config: C) => E,
): E {
  const endpoint = build(config);
  if (!config.roles) return endpoint;
  const { producers, consumers } = config.roles;
  return { ...endpoint, roles: { producers: build(producers), consumers: build(consumers) } };
}

/** The external endpoint of one broker, or a clear error when the config lacks it. */
export function requireExternal(map: EndpointMap, broker: BrokerName): BrokerEndpoint {
  const endpoint = map[broker];
  if (!endpoint) {
    throw new ConfigError(`--provision external: the config names no endpoint for ${broker}`, {
      hint: `Add endpoints.${broker} to the config (one of ${BROKER_NAMES.join(', ')}), or use --provision local.`,
    });
  }
  return endpoint;
}
