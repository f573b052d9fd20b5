/**
 * `--provision docker`: the same brokers and Toxiproxy as the native path, as containers started from
 * code with testcontainers, on one Docker network. Clients reach every broker through the Toxiproxy
 * container, whose proxy listeners are published on the same host ports as the native set (Kafka and
 * ElasticMQ advertise them). Images are the locally built `brokerproof/*` images (see images.ts);
 * missing ones are built first.
 *
 * Where images cannot be pulled (no registry), set TESTCONTAINERS_RYUK_DISABLED=true: Ryuk, the
 * reaper container, is an image from Docker Hub.
 */
import { BrokerUnavailableError, describeError } from '../../core/errors.ts';
import {
  type BrokerEndpoint,
  type BrokerName,
  buildEndpoint,
  type EndpointMap,
  isStoreName,
  MESSAGE_BROKER_NAMES,
  type MessageBrokerName,
} from '../endpoints.ts';
import { healthThroughEveryProxy } from '../health.ts';
import { type PortPlan, resolvePorts } from '../ports.ts';
import { proxyLayout } from '../proxies.ts';
import { ToxiproxyApi } from '../toxiproxy-api.ts';
import { startBrokerContainer } from './container-start.ts';
import { buildImages, type ImageName } from './images.ts';

/** The port each broker listens on inside its container (fixed by the Dockerfiles). */
export const CONTAINER_PORTS: Record<MessageBrokerName, number> = {
  kafka: 19092,
  rabbitmq: 15672,
  nats: 14222,
  elasticmq: 19324,
  moto: 15000,
  pubsub: 18085,
};

/** Kafka's listeners for producers and consumers inside its container (docker/kafka/Dockerfile). */
export const KAFKA_ROLE_CONTAINER_PORTS = { producers: 19095, consumers: 19096 } as const;

export interface DockerProvisionerOptions {
  env?: NodeJS.ProcessEnv;
  log?: ((line: string) => void) | undefined;
  /** Host ports (default: the same plan as native, from BROKERPROOF_*_PORT). */
  ports?: PortPlan;
  /** Build missing images (default true). */
  build?: boolean;
}

interface Stoppable {
  stop(options?: { timeout?: number }): Promise<unknown>;
}

export class DockerProvisioner {
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: (line: string) => void;
  readonly ports: PortPlan;
  private readonly build: boolean;
  private containers: Stoppable[] = [];
  private network: Stoppable | undefined;
  private endpoints: EndpointMap = {};

  constructor(options: DockerProvisionerOptions = {}) {
    this.env = options.env ?? process.env;
    this.log = options.log ?? (() => {});
    this.ports = options.ports ?? resolvePorts(this.env);
    this.build = options.build ?? true;
  }

  get toxiproxyUrl(): string {
    return `http://${this.ports.host}:${this.ports.toxiproxy}`;
  }

  async up(only: readonly BrokerName[] = MESSAGE_BROKER_NAMES): Promise<EndpointMap> {
    if (only.some(isStoreName)) {
      throw new BrokerUnavailableError(
        'PostgreSQL under Docker is not supported yet; use --provision local or external',
        {
          hint: '`--provision local` runs it natively (`brokerproof brokers up --only postgres`); `--provision external` takes `endpoints.postgres.url` from the config.',
        },
      );
    }
    const brokers = only as readonly MessageBrokerName[];
    if (this.network) return this.endpoints;
    const tc = await import('testcontainers');
    const tags = this.build
      ? await buildImages({ only: brokers, log: this.log, env: this.env })
      : ((await import('./images.ts')).imageTags(
          (await import('../local/index.ts')).localContext({ env: this.env }),
        ) as Record<ImageName, string>);
    try {
      const network = await new tc.Network().start();
      this.network = network;
      const { ports } = this;
      const toxiproxy = await new tc.GenericContainer(tags.toxiproxy)
        .withNetwork(network)
        .withNetworkAliases('toxiproxy')
        .withLabels({ 'dev.brokerproof': 'toxiproxy' })
        .withExposedPorts(
          { container: 8474, host: ports.toxiproxy },
          ...brokers.flatMap((b) =>
            proxyLayout(ports, b).map((p) => ({ container: p.listen, host: p.listen })),
          ),
        )
        .withWaitStrategy(tc.Wait.forHttp('/version', 8474))
        .start();
      this.containers.push(toxiproxy);
      const api = new ToxiproxyApi(this.toxiproxyUrl);
      const environments: Partial<Record<BrokerName, Record<string, string>>> = {
        kafka: {
          KAFKA_ADVERTISED_HOST: ports.host,
          KAFKA_ADVERTISED_PORT: String(ports.kafka.proxy),
          KAFKA_PRODUCERS_ADVERTISED_PORT: String(ports.kafka.producers),
          KAFKA_CONSUMERS_ADVERTISED_PORT: String(ports.kafka.consumers),
        },
        elasticmq: {
          ELASTICMQ_ADVERTISED_HOST: ports.host,
          ELASTICMQ_ADVERTISED_PORT: String(ports.elasticmq.proxy),
        },
      };
      await Promise.all(
        brokers.map(async (broker) => {
          this.log(`[${broker}] starting container ${tags[broker]}`);
          const started = Date.now();
          const container = await startBrokerContainer(
            tc,
            {
              broker,
              tag: tags[broker],
              network,
              environment: environments[broker] ?? {},
              exposedPort: CONTAINER_PORTS[broker],
              startupTimeoutMs: 180_000,
            },
            this.log,
          );
          this.containers.push(container);
          const layout = proxyLayout(ports, broker);
          for (const proxy of layout) {
            const inside =
              broker === 'kafka' && proxy.role
                ? KAFKA_ROLE_CONTAINER_PORTS[proxy.role]
                : CONTAINER_PORTS[broker];
            await api.ensureProxy({
              name: proxy.name,
              listen: `0.0.0.0:${proxy.listen}`,
              upstream: `${broker}:${inside}`,
            });
          }
          const way = (p: (typeof layout)[number]) => ({
            port: p.listen,
            toxiproxy: { apiUrl: this.toxiproxyUrl, proxy: p.name },
          });
          const endpoint = buildEndpoint(broker, {
            host: ports.host,
            ...way(layout[0]!),
            upstream: { host: container.getHost(), port: container.getMappedPort(CONTAINER_PORTS[broker]) },
            roles: { producers: way(layout[1]!), consumers: way(layout[2]!) },
          });
          await waitForRoundTrip(endpoint as BrokerEndpoint, 180_000);
          (this.endpoints as Record<string, unknown>)[broker] = endpoint;
          this.log(
            `[${broker}] up in ${((Date.now() - started) / 1000).toFixed(1)} s, clients use ${endpoint.address}`,
          );
        }),
      );
      return this.endpoints;
    } catch (error) {
      await this.down();
      const message = describeError(error);
      throw new BrokerUnavailableError(`could not start the Docker brokers: ${message}`, {
        cause: error,
        hint: /ryuk|testcontainers\/ryuk|pull/i.test(message)
          ? 'An image could not be pulled. Without registry access set TESTCONTAINERS_RYUK_DISABLED=true and build the images locally: node --import tsx scripts/docker-images.ts'
          : 'Check `docker info` and build the images with: node --import tsx scripts/docker-images.ts',
      });
    }
  }

  endpoint(broker: BrokerName): BrokerEndpoint {
    const endpoint = this.endpoints[broker];
    if (!endpoint) throw new BrokerUnavailableError(`${broker} was not started by the Docker provisioner`);
    return endpoint as BrokerEndpoint;
  }

  async down(): Promise<void> {
    const containers = this.containers.reverse();
    this.containers = [];
    await Promise.all(containers.map((c) => c.stop({ timeout: 10_000 }).catch(() => {})));
    await this.network?.stop().catch(() => {});
    this.network = undefined;
    this.endpoints = {};
  }
}

async function waitForRoundTrip(endpoint: BrokerEndpoint, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const timeoutMs = Math.min(20_000, Math.max(1000, deadline - Date.now()));
      await healthThroughEveryProxy(endpoint, timeoutMs);
      return;
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new BrokerUnavailableError(
    `${endpoint.broker}: no round trip within ${timeoutMs / 1000} s: ${describeError(last)}`,
  );
}
