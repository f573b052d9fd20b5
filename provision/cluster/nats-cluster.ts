/**
 * NATS as a cluster: each node a nats-server (the binary of the native path) with JetStream, its own
 * server_name and store, and routes to its peers. Every node listens on the same ports of its own
 * address (4222 clients, 6222 routes, 8222 monitoring): namespaces keep them apart.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerUnavailableError } from '../../core/errors.ts';
import type { ClusterNodeRef } from '../../core/fault-targets.ts';
import { buildEndpoint, type NatsEndpoint } from '../endpoints.ts';
import { nats } from '../local/brokers/nats.ts';
import { sleep } from '../local/processes.ts';
import type { ClusterBroker, ClusterLayout } from './cluster-broker.ts';

export const NATS_CLIENT_PORT = 4222;
const ROUTE_PORT = 6222;
const MONITOR_PORT = 8222;

/** The node's configuration file (nats-server's own format; JSON strings are valid there). */
export function natsNodeConfig(layout: ClusterLayout, node: ClusterNodeRef, storeDir: string): string {
  const routes = layout.nodes
    .filter((peer) => peer.name !== node.name)
    .map((peer) => JSON.stringify(`nats-route://${peer.address}:${ROUTE_PORT}`));
  return [
    `server_name: ${JSON.stringify(node.name)}`,
    `listen: ${JSON.stringify(`${node.address}:${NATS_CLIENT_PORT}`)}`,
    `http: ${JSON.stringify(`${node.address}:${MONITOR_PORT}`)}`,
    'jetstream {',
    `  store_dir: ${JSON.stringify(storeDir)}`,
    // Small caps keep three nodes well inside a 2-core test machine.
    '  max_memory_store: 64MB',
    '  max_file_store: 1GB',
    '}',
    'cluster {',
    '  name: "brokerproof"',
    `  listen: ${JSON.stringify(`${node.address}:${ROUTE_PORT}`)}`,
    `  routes: [${routes.join(', ')}]`,
    // Clients are given every node and ignore what the cluster tells them.
    '  no_advertise: true',
    '}',
    '',
  ].join('\n');
}

interface Healthz {
  status?: string;
  error?: string;
}

async function healthz(node: ClusterNodeRef): Promise<Healthz> {
  const response = await fetch(`http://${node.address}:${MONITOR_PORT}/healthz`, {
    signal: AbortSignal.timeout(2_000),
  });
  return (await response.json()) as Healthz;
}

export const natsCluster: ClusterBroker = {
  broker: 'nats',
  startTimeoutMs: 60_000,
  stopGraceMs: 10_000,
  install: (ctx, log) => nats.install(ctx, log),

  prepareNode(layout, node, dir, installation) {
    const storeDir = join(dir, 'jetstream');
    mkdirSync(storeDir, { recursive: true });
    const config = join(dir, 'nats.conf');
    writeFileSync(config, natsNodeConfig(layout, node, storeDir));
    return {
      command: 'ip',
      args: ['netns', 'exec', node.netns, installation.home, '--config', config],
      logFile: join(dir, 'nats.log'),
    };
  },

  /** `/healthz` is ok once the node serves JetStream and is current with the meta leader. */
  async nodeReady(_layout, node, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      try {
        const health = await healthz(node);
        if (health.status === 'ok') return;
        last = health.error ?? JSON.stringify(health);
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await sleep(250);
    }
    throw new BrokerUnavailableError(
      `NATS node ${node.name} (${node.address}) not healthy within ${timeoutMs} ms: ${last}`,
      { hint: `Its log is nats.log in its directory; nodes that cannot reach each other wait for routes.` },
    );
  },

  endpoint(layout): NatsEndpoint {
    const first = layout.nodes[0]!;
    const endpoint = buildEndpoint('nats', { host: first.address, port: NATS_CLIENT_PORT });
    return {
      ...endpoint,
      servers: layout.nodes.map((n) => `nats://${n.address}:${NATS_CLIENT_PORT}`),
    };
  },
};
