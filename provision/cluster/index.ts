/**
 * Clusters on one machine: `brokers up --cluster 3 --only nats` starts three nodes of a broker, each
 * in a network namespace of its own on one bridge (network.ts), so that links between nodes can be
 * cut with iptables. Clients connect from the root namespace over the bridge. `clusterDown` removes
 * every namespace, link, rule and process; `clusterUp` first sweeps what a killed run left.
 *
 * State lives in BROKERPROOF_CLUSTER_DIR (default `<state dir>/cluster`), one directory per broker:
 * `cluster.json`, and per node its record, configuration, data and log. Cluster data is disposable:
 * a fresh `up` starts from empty nodes.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BrokerUnavailableError, describeError, UsageError } from '../../core/errors.ts';
import type { ClusterRef } from '../../core/fault-targets.ts';
import type { BrokerEndpoint, BrokerName } from '../endpoints.ts';
import { roundTrip } from '../health.ts';
import { run, which } from '../local/exec.ts';
import { localContext } from '../local/index.ts';
import { aptPackage, type Log } from '../local/install.ts';
import { withStateLock } from '../local/lock.ts';
import { resolvePaths } from '../local/paths.ts';
import { signalSafe } from '../local/processes.ts';
import type { ClusterBroker } from './cluster-broker.ts';
import { kafkaCluster } from './kafka-cluster.ts';
import { natsCluster } from './nats-cluster.ts';
import {
  bridgeCommands,
  bridgeDownCommands,
  forwardRule,
  NAME_PREFIX,
  nodeDownCommands,
  nodeUpCommands,
  planNetwork,
  presentNames,
  runCommands,
  subnetOf,
} from './network.ts';
import {
  type ClusterState,
  killNamespaceProcesses,
  liveNodeRecord,
  nodeDir,
  ownedUnder,
  readClusterState,
  rssMb,
  startNode,
  stateFile,
  stopNode,
} from './nodes.ts';
import { rabbitmqCluster } from './rabbitmq-cluster.ts';

export const CLUSTER_DIR_VARIABLE = 'BROKERPROOF_CLUSTER_DIR';

/** The brokers that can run as a cluster so far. */
export const CLUSTER_BROKERS: Partial<Record<BrokerName, ClusterBroker>> = {
  nats: natsCluster,
  kafka: kafkaCluster,
  rabbitmq: rabbitmqCluster,
};

export interface ClusterOptions {
  env?: NodeJS.ProcessEnv;
  log?: Log;
  /**
   * `clusterDown`: only clusters recorded in this cluster directory (and what they left). Without
   * it, every namespace of the broker's prefix goes too, whichever state directory made it.
   */
  recordedOnly?: boolean;
}

export interface ClusterNodeStatus {
  name: string;
  netns: string;
  address: string;
  pid: number | null;
  up: boolean;
  rssMb: number;
}

export interface ClusterStatus {
  broker: BrokerName;
  size: number;
  version: string;
  endpoint: string[];
  nodes: ClusterNodeStatus[];
}

export function clusterRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env[CLUSTER_DIR_VARIABLE] || join(resolvePaths(env).state, 'cluster'));
}

function serviceOf(broker: BrokerName): ClusterBroker {
  const service = CLUSTER_BROKERS[broker];
  if (!service)
    throw new UsageError(`${broker} cannot run as a cluster yet`, {
      hint: `Clusters: ${Object.keys(CLUSTER_BROKERS).join(', ')}.`,
    });
  return service;
}

/** Why clusters cannot run here (namespaces and iptables need root on Linux), if they cannot. */
export function clusterUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux, not ${process.platform}`;
  if (process.getuid?.() !== 0) return 'network namespaces, veths and iptables need root';
  if (!which('ip')) return 'the `ip` command (iproute2) is missing';
  return undefined;
}

async function requireClusterSupport(log: Log): Promise<void> {
  const reason = clusterUnavailableReason();
  if (reason)
    throw new BrokerUnavailableError(`--cluster is not possible here: ${reason}`, {
      hint: 'Run as root on Linux (CI does), or leave out --cluster to use single-node brokers.',
    });
  await aptPackage(
    'iptables',
    () => which('iptables') !== undefined,
    log,
    'Install the Debian package iptables (partitions between nodes are iptables rules).',
  );
}

/** The cluster's reference for the nemesis and the endpoint. */
export function clusterRef(broker: BrokerName, state: ClusterState, root: string): ClusterRef {
  return { broker, root, nodes: state.nodes };
}

/** The client endpoint of the running cluster, with its nodes for the cluster nemesis. */
export function endpointOf(broker: BrokerName, state: ClusterState, root: string): BrokerEndpoint {
  const endpoint = serviceOf(broker).endpoint({ broker, nodes: state.nodes });
  return { ...endpoint, cluster: clusterRef(broker, state, root) };
}

/**
 * Starts a cluster of `size` nodes of `broker`, or leaves a healthy one of that size alone. Returns
 * its endpoint and timings.
 */
export async function clusterUp(
  broker: BrokerName,
  size: number,
  options: ClusterOptions = {},
): Promise<{ endpoint: BrokerEndpoint; status: ClusterStatus; ms: number; already: boolean }> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const service = serviceOf(broker);
  await requireClusterSupport(log);
  const started = Date.now();
  const base = clusterRoot(env);
  const root = join(base, broker);
  return withStateLock(base, async () => {
    const existing = readClusterState(root);
    if (existing && existing.size === size && (await whole(service, existing, root))) {
      log(`${broker}: a cluster of ${size} already runs`);
      return {
        endpoint: endpointOf(broker, existing, root),
        status: statusOf(existing, root),
        ms: Date.now() - started,
        already: true,
      };
    }
    await sweep(broker, root, log);
    const installation = await service.install(localContext({ env }), log);
    const net = planNetwork(broker, size, subnetOf(env));
    const bridgeExists = (await run('ip', ['link', 'show', net.bridge])).code === 0;
    await runCommands(bridgeCommands(net, bridgeExists));
    if ((await run('iptables', forwardRule('-C').slice(1))).code !== 0)
      await runCommands([forwardRule('-I')]);
    for (const node of net.nodes) await runCommands(nodeUpCommands(net, node));
    const state: ClusterState = {
      broker,
      size,
      subnet: net.subnet,
      installation,
      nodes: net.nodes,
      startedAt: new Date().toISOString(),
    };
    mkdirSync(root, { recursive: true });
    writeFileSync(stateFile(root), `${JSON.stringify(state, null, 2)}\n`);
    log(
      `${broker}: starting ${size} nodes (${installation.version}) at ${net.nodes.map((n) => `${n.name} ${n.address}`).join(', ')}`,
    );
    // In parallel: a node waits for its peers to elect a JetStream meta leader before it is healthy.
    await Promise.all(net.nodes.map((node) => startNode(service, state, root, node)));
    const endpoint = endpointOf(broker, state, root);
    await firstRoundTrip(endpoint, log);
    return { endpoint, status: statusOf(state, root), ms: Date.now() - started, already: false };
  });
}

/**
 * The cluster's first round trip, tried up to three times. A cluster that just formed may answer
 * one node's metadata before another's: seen with Kafka, the health topic's creation gave up with
 * "This server does not host this topic-partition" (kafkajs waits for leaders only on
 * LEADER_NOT_AVAILABLE); the next attempt finds the topic made.
 */
async function firstRoundTrip(endpoint: BrokerEndpoint, log: Log): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await roundTrip(endpoint, { timeoutMs: 30_000 });
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
      log(`${endpoint.broker}: first round trip failed (${describeError(error)}); again`);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

/** Every node runs and is ready. */
async function whole(service: ClusterBroker, state: ClusterState, root: string): Promise<boolean> {
  if (!state.nodes.every((node) => liveNodeRecord(root, node))) return false;
  try {
    await Promise.all(state.nodes.map((node) => service.nodeReady(state, node, 5_000)));
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes everything of `broker`'s cluster: its node processes (recorded or found in its
 * namespaces), its namespaces and veths (also ones no record knows), and its data; the bridge once
 * no cluster uses it.
 */
async function sweep(broker: BrokerName, root: string, log: Log): Promise<string[]> {
  const removed: string[] = [];
  const state = readClusterState(root);
  for (const node of state?.nodes ?? []) {
    if (liveNodeRecord(root, node)) removed.push(`${broker} ${node.name}`);
    await stopNode(root, node, serviceOf(broker).stopGraceMs);
  }
  for (const pid of ownedUnder(root)) signalSafe(pid, 'SIGKILL');
  const prefix = `${NAME_PREFIX}-${broker}-`;
  const present = await presentNames();
  for (const netns of present.netns.filter((n) => n.startsWith(prefix))) {
    await killNamespaceProcesses(netns);
    await runCommands(nodeDownCommands({ netns }), true);
    removed.push(`netns ${netns}`);
  }
  for (const link of present.links.filter((l) => l.startsWith(prefix)))
    await runCommands([['ip', 'link', 'del', link]], true);
  const left = await presentNames();
  if (left.netns.length === 0 && left.links.some((l) => l === 'bpc-br0')) {
    for (let i = 0; i < 5 && (await run('iptables', forwardRule('-D').slice(1))).code === 0; i++);
    await runCommands(bridgeDownCommands(), true);
    removed.push('bridge bpc-br0');
  }
  rmSync(root, { recursive: true, force: true });
  if (removed.length > 0) log(`${broker}: removed ${removed.join(', ')}`);
  return removed;
}

/** Stops the clusters of `only` (default: every broker's) and removes all they had. */
export async function clusterDown(
  only: readonly BrokerName[] | undefined,
  options: ClusterOptions = {},
): Promise<{ removed: string[] }> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const base = clusterRoot(env);
  const brokers = only ?? (Object.keys(CLUSTER_BROKERS) as BrokerName[]);
  // Without root nothing of ours can exist (creating it needed root): nothing to do.
  if (clusterUnavailableReason()) return { removed: [] };
  return withStateLock(base, async () => {
    const removed: string[] = [];
    for (const broker of brokers) {
      const root = join(base, broker);
      if (!CLUSTER_BROKERS[broker] || (options.recordedOnly && !readClusterState(root))) continue;
      removed.push(...(await sweep(broker, root, log)));
    }
    if (existsSync(base) && readdirSync(base).filter((f) => f !== '.lock').length === 0)
      rmSync(base, { recursive: true, force: true });
    return { removed };
  });
}

function statusOf(state: ClusterState, root: string): ClusterStatus {
  const endpoint = serviceOf(state.broker).endpoint(state);
  return {
    broker: state.broker,
    size: state.size,
    version: state.installation.version,
    endpoint:
      endpoint.broker === 'nats'
        ? endpoint.servers
        : endpoint.broker === 'kafka'
          ? endpoint.brokers
          : endpoint.broker === 'rabbitmq' && endpoint.urls
            ? endpoint.urls
            : [endpoint.address],
    nodes: state.nodes.map((node) => {
      const record = liveNodeRecord(root, node);
      return {
        name: node.name,
        netns: node.netns,
        address: node.address,
        pid: record?.pid ?? null,
        up: !!record,
        rssMb: record ? rssMb(record.pid) : 0,
      };
    }),
  };
}

/** The clusters recorded now (of `only`), with their nodes' processes and memory. */
export function clusterStatus(
  only?: readonly BrokerName[],
  env: NodeJS.ProcessEnv = process.env,
): ClusterStatus[] {
  const base = clusterRoot(env);
  const brokers = only ?? (Object.keys(CLUSTER_BROKERS) as BrokerName[]);
  return brokers.flatMap((broker) => {
    const state = readClusterState(join(base, broker));
    return state ? [statusOf(state, join(base, broker))] : [];
  });
}

/**
 * The endpoint of `broker`'s running cluster, for a run: every node must be up (a run never starts
 * one: `brokers up --cluster N` does). Leftover partitions of a killed run are healed first.
 */
export async function clusterEndpoint(
  broker: BrokerName,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BrokerEndpoint> {
  const root = join(clusterRoot(env), broker);
  const state = readClusterState(root);
  const hint = `Start one with \`brokerproof brokers up --cluster 3 --only ${broker}\`.`;
  if (!state) throw new BrokerUnavailableError(`no ${broker} cluster runs here (${root})`, { hint });
  const { healCluster } = await import('./control.ts');
  await healCluster(clusterRef(broker, state, root));
  return endpointOf(broker, state, root);
}

export { nodeDir };
