/**
 * Fixed, documented default ports on 127.0.0.1, each overridable by an environment variable.
 * Clients talk to the *proxy* port (Toxiproxy, so faults can be injected); the broker itself listens
 * on the *upstream* port, which only Toxiproxy uses. See docs/brokers.md.
 */
import { UsageError } from '../core/errors.ts';
import { BROKER_NAMES, type BrokerName, type MessageBrokerName } from './endpoints.ts';

/** A store's ports: one proxy (every client), and the server behind it. */
export interface StorePorts {
  /** Where clients and health checks connect: a Toxiproxy listener (the service's own proxy). */
  proxy: number;
  /** Where the server listens. */
  upstream: number;
}

export interface BrokerPorts extends StorePorts {
  /** The producers' Toxiproxy listener (their own proxy, so a fault can cut them alone). */
  producers: number;
  /** The consumers' Toxiproxy listener. */
  consumers: number;
}

export interface PortPlan {
  host: string;
  toxiproxy: number;
  /**
   * Kafka clients reconnect to the address the broker advertises, so each role has a listener of
   * its own on the broker (`producersListener`, `consumersListener`), advertising its role's proxy.
   */
  kafka: BrokerPorts & {
    controller: number;
    internal: number;
    producersListener: number;
    consumersListener: number;
  };
  rabbitmq: BrokerPorts & { dist: number; epmd: number };
  nats: BrokerPorts;
  elasticmq: BrokerPorts;
  moto: BrokerPorts;
  pubsub: BrokerPorts;
  /** PostgreSQL, the store (provision/local/brokers/postgres.ts): no per-role proxies. */
  postgres: StorePorts;
}

export const DEFAULT_PORTS: PortPlan = {
  host: '127.0.0.1',
  toxiproxy: 8474,
  kafka: {
    proxy: 9092,
    producers: 9095,
    consumers: 9096,
    upstream: 19092,
    controller: 19093,
    internal: 19094,
    producersListener: 19095,
    consumersListener: 19096,
  },
  // Listeners stay below 32768: Linux hands out ephemeral client ports from there up, and a broker
  // port in that range can be taken by any outgoing connection (seen: RabbitMQ's dist port).
  rabbitmq: { proxy: 5672, producers: 5673, consumers: 5674, upstream: 15672, dist: 26672, epmd: 14369 },
  nats: { proxy: 4222, producers: 4223, consumers: 4224, upstream: 14222 },
  elasticmq: { proxy: 9324, producers: 9325, consumers: 9326, upstream: 19324 },
  moto: { proxy: 5000, producers: 5001, consumers: 5002, upstream: 15000 },
  pubsub: { proxy: 8085, producers: 8086, consumers: 8087, upstream: 18085 },
  // Not 5432: that is where a system PostgreSQL listens (Debian's package creates and starts a
  // cluster there), and a developer's own database must not clash with ours.
  postgres: { proxy: 5433, upstream: 15433 },
};

/** Environment variable names, for docs and error messages. */
export function portVariable(broker: BrokerName | 'toxiproxy', which = 'proxy'): string {
  const b = broker.toUpperCase();
  if (broker === 'toxiproxy') return 'BROKERPROOF_TOXIPROXY_PORT';
  // producersListener → PRODUCERS_LISTENER
  const part = which.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
  return which === 'proxy' ? `BROKERPROOF_${b}_PORT` : `BROKERPROOF_${b}_${part}_PORT`;
}

function readPort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new UsageError(`${name}=${raw} is not a TCP port`, {
      hint: `Set ${name} to a number from 1 to 65535, or unset it to use ${fallback}.`,
    });
  }
  return value;
}

/**
 * The port plan from the environment: `BROKERPROOF_<BROKER>_PORT` (client/proxy port),
 * `BROKERPROOF_<BROKER>_PRODUCERS_PORT` and `_CONSUMERS_PORT` (the roles' proxies),
 * `BROKERPROOF_<BROKER>_UPSTREAM_PORT`, `BROKERPROOF_KAFKA_CONTROLLER_PORT`,
 * `BROKERPROOF_KAFKA_INTERNAL_PORT`, `BROKERPROOF_KAFKA_PRODUCERS_LISTENER_PORT`,
 * `BROKERPROOF_KAFKA_CONSUMERS_LISTENER_PORT`, `BROKERPROOF_RABBITMQ_DIST_PORT`, `BROKERPROOF_RABBITMQ_EPMD_PORT`,
 * `BROKERPROOF_TOXIPROXY_PORT`, `BROKERPROOF_POSTGRES_PORT`, `BROKERPROOF_POSTGRES_UPSTREAM_PORT`,
 * `BROKERPROOF_HOST` (default 127.0.0.1).
 */
export function resolvePorts(env: NodeJS.ProcessEnv = process.env, base: PortPlan = DEFAULT_PORTS): PortPlan {
  const single = (b: BrokerName): StorePorts => ({
    proxy: readPort(env, portVariable(b), base[b].proxy),
    upstream: readPort(env, portVariable(b, 'upstream'), base[b].upstream),
  });
  const pair = (b: MessageBrokerName): BrokerPorts => ({
    ...single(b),
    producers: readPort(env, portVariable(b, 'producers'), base[b].producers),
    consumers: readPort(env, portVariable(b, 'consumers'), base[b].consumers),
  });
  const plan: PortPlan = {
    host: env.BROKERPROOF_HOST || base.host,
    toxiproxy: readPort(env, portVariable('toxiproxy'), base.toxiproxy),
    kafka: {
      ...pair('kafka'),
      controller: readPort(env, portVariable('kafka', 'controller'), base.kafka.controller),
      internal: readPort(env, portVariable('kafka', 'internal'), base.kafka.internal),
      producersListener: readPort(
        env,
        portVariable('kafka', 'producersListener'),
        base.kafka.producersListener,
      ),
      consumersListener: readPort(
        env,
        portVariable('kafka', 'consumersListener'),
        base.kafka.consumersListener,
      ),
    },
    rabbitmq: {
      ...pair('rabbitmq'),
      dist: readPort(env, portVariable('rabbitmq', 'dist'), base.rabbitmq.dist),
      epmd: readPort(env, portVariable('rabbitmq', 'epmd'), base.rabbitmq.epmd),
    },
    nats: pair('nats'),
    elasticmq: pair('elasticmq'),
    moto: pair('moto'),
    pubsub: pair('pubsub'),
    postgres: single('postgres'),
  };
  assertDistinct(plan);
  return plan;
}

/** Every port of the plan with a label, e.g. `kafka.upstream`. */
export function listPorts(plan: PortPlan): Array<{ label: string; port: number }> {
  const out: Array<{ label: string; port: number }> = [{ label: 'toxiproxy', port: plan.toxiproxy }];
  for (const b of BROKER_NAMES) {
    for (const [k, v] of Object.entries(plan[b])) out.push({ label: `${b}.${k}`, port: v as number });
  }
  return out;
}

function assertDistinct(plan: PortPlan): void {
  const seen = new Map<number, string>();
  for (const { label, port } of listPorts(plan)) {
    const other = seen.get(port);
    if (other) {
      throw new UsageError(`port ${port} is configured twice (${other} and ${label})`, {
        hint: 'Give each BROKERPROOF_*_PORT variable a distinct value.',
      });
    }
    seen.set(port, label);
  }
}

/** A plan with every port shifted by `offset` (tests and the Docker path use it to avoid the native set). */
export function shiftPorts(plan: PortPlan, offset: number): PortPlan {
  const shifted = JSON.parse(JSON.stringify(plan)) as PortPlan;
  shifted.toxiproxy += offset;
  for (const b of BROKER_NAMES) {
    const ports = shifted[b] as unknown as Record<string, number>;
    for (const k of Object.keys(ports)) ports[k] = (ports[k] ?? 0) + offset;
  }
  return shifted;
}
