/**
 * `--provision external`: brokers someone else runs (a team's staging cluster, real AWS SQS), named
 * in the config. Nothing is started or stopped. A broker is `proxied` only when the config names the
 * Toxiproxy proxy in front of it; without one, network faults cannot be injected for it.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import {
  BROKER_NAMES,
  type BrokerEndpoint,
  type BrokerName,
  EMULATOR_REGION,
  type EndpointMap,
  PUBSUB_PROJECT_ID,
} from './endpoints.ts';

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');
/** The name of this broker's proxy in the Toxiproxy named by `toxiproxy.apiUrl`. */
const proxyName = z.string().min(1).optional();

export const externalEndpointsSchema = z.strictObject({
  toxiproxy: z.strictObject({ apiUrl: z.url() }).optional(),
  kafka: z.strictObject({ brokers: z.array(hostPort).min(1), proxy: proxyName }).optional(),
  rabbitmq: z
    .strictObject({ url: z.string().regex(/^amqps?:\/\//, 'expected amqp:// or amqps://'), proxy: proxyName })
    .optional(),
  nats: z.strictObject({ servers: z.array(z.string().min(1)).min(1), proxy: proxyName }).optional(),
  elasticmq: z
    .strictObject({
      endpoint: z.url(),
      region: z.string().min(1).optional(),
      credentials: z.strictObject({ accessKeyId: z.string(), secretAccessKey: z.string() }).optional(),
      proxy: proxyName,
    })
    .optional(),
  moto: z
    .strictObject({
      /** Omit for real AWS (the SDK's default endpoint and credential chain). */
      endpoint: z.url().optional(),
      region: z.string().min(1).optional(),
      credentials: z.strictObject({ accessKeyId: z.string(), secretAccessKey: z.string() }).optional(),
      proxy: proxyName,
    })
    .optional(),
  pubsub: z
    .strictObject({ apiEndpoint: hostPort, projectId: z.string().min(3).optional(), proxy: proxyName })
    .optional(),
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
  const map: EndpointMap = {};
  if (c.kafka)
    map.kafka = {
      ...base(splitHostPort(c.kafka.brokers[0]!), c.kafka.proxy),
      broker: 'kafka',
      brokers: c.kafka.brokers,
    };
  if (c.rabbitmq)
    map.rabbitmq = {
      ...base(fromUrl(c.rabbitmq.url, 5672), c.rabbitmq.proxy),
      broker: 'rabbitmq',
      url: c.rabbitmq.url,
    };
  if (c.nats)
    map.nats = {
      ...base(fromUrl(c.nats.servers[0]!, 4222), c.nats.proxy),
      broker: 'nats',
      servers: c.nats.servers,
    };
  for (const broker of ['elasticmq', 'moto'] as const) {
    const e = c[broker];
    if (!e) continue;
    const endpoint = e.endpoint;
    map[broker] = {
      ...base(endpoint ? fromUrl(endpoint, 443) : { host: 'sqs.amazonaws.com', port: 443 }, e.proxy),
      broker,
      endpoint,
      region: e.region ?? (endpoint ? EMULATOR_REGION : (process.env.AWS_REGION ?? EMULATOR_REGION)),
      credentials: e.credentials,
      sns: broker === 'moto',
    };
  }
  if (c.pubsub) {
    map.pubsub = {
      ...base(splitHostPort(c.pubsub.apiEndpoint), c.pubsub.proxy),
      broker: 'pubsub',
      apiEndpoint: c.pubsub.apiEndpoint,
      projectId: c.pubsub.projectId ?? PUBSUB_PROJECT_ID,
    };
  }
  return map;
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
