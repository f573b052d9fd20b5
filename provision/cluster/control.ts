/**
 * What the cluster nemesis does to a running cluster: cut links between nodes (iptables inside
 * their namespaces), heal them (flush), kill a node (SIGKILL) and start it again on its data, pause
 * one (SIGSTOP) and resume it. Partitions and pauses are also healed synchronously on process exit,
 * so no rule or stopped node outlives the run that made it.
 */
import { BrokerUnavailableError, describeError } from '../../core/errors.ts';
import type { ClusterNodeRef, ClusterRef } from '../../core/fault-targets.ts';
import type { ClusterBroker } from './cluster-broker.ts';
import { kafkaCluster } from './kafka-cluster.ts';
import { natsCluster } from './nats-cluster.ts';
import { cutCommands, dropCommands, healCommands, runCommands, runCommandsSync } from './network.ts';
import {
  killNode,
  liveNodeRecord,
  pauseNode,
  readClusterState,
  resumeNode,
  startNode,
  stopNode,
} from './nodes.ts';
import { rabbitmqCluster } from './rabbitmq-cluster.ts';

const SERVICES: Record<string, ClusterBroker> = {
  nats: natsCluster,
  kafka: kafkaCluster,
  rabbitmq: rabbitmqCluster,
};

/** Clusters this process cut links in, and nodes it paused: healed on exit whatever happens. */
const cut = new Map<string, ClusterRef>();
const paused = new Map<string, { ref: ClusterRef; node: ClusterNodeRef }>();
let exitHook = false;

function onExitHeal(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const r of cut.values()) runCommandsSync(healCommands(r.nodes));
    for (const { ref, node } of paused.values()) resumeNode(ref.root, node);
  });
}

function remember(ref: ClusterRef): void {
  cut.set(ref.root, ref);
  onExitHeal();
}

export function nodeOf(ref: ClusterRef, name: string): ClusterNodeRef {
  const node = ref.nodes.find((n) => n.name === name);
  if (!node)
    throw new Error(`${ref.broker} has no node ${name} (${ref.nodes.map((n) => n.name).join(', ')})`);
  return node;
}

/** Cuts every link between `a` and `b` (both ways); clients in the root namespace keep theirs. */
export async function cutLinks(
  ref: ClusterRef,
  a: readonly ClusterNodeRef[],
  b: readonly ClusterNodeRef[],
): Promise<void> {
  remember(ref);
  await runCommands(cutCommands(a, b));
}

/** One-way cuts: each node of `drops` stops hearing from the nodes listed for it. */
export async function dropLinks(
  ref: ClusterRef,
  drops: ReadonlyMap<ClusterNodeRef, readonly ClusterNodeRef[]>,
): Promise<void> {
  remember(ref);
  await runCommands(dropCommands(drops));
}

/** Removes every partition rule in the cluster. */
export async function healLinks(ref: ClusterRef): Promise<void> {
  await runCommands(healCommands(ref.nodes));
  cut.delete(ref.root);
}

function serviceAndState(ref: ClusterRef) {
  const service = SERVICES[ref.broker];
  const state = readClusterState(ref.root);
  if (!service || !state)
    throw new BrokerUnavailableError(`the ${ref.broker} cluster at ${ref.root} is gone`);
  return { service, state };
}

export function isNodeRunning(ref: ClusterRef, node: ClusterNodeRef): boolean {
  return liveNodeRecord(ref.root, node) !== undefined;
}

/** kill -9 of one node; its PID. */
export async function crashNode(ref: ClusterRef, node: ClusterNodeRef): Promise<number> {
  return killNode(ref.root, node);
}

/** SIGSTOP of one node (resumed on exit if nothing else does); its PID. */
export function freezeNode(ref: ClusterRef, node: ClusterNodeRef): number {
  const pid = pauseNode(ref.root, node);
  paused.set(`${ref.root}/${node.name}`, { ref, node });
  onExitHeal();
  return pid;
}

/** SIGCONT of a paused node. */
export function thawNode(ref: ClusterRef, node: ClusterNodeRef): void {
  resumeNode(ref.root, node);
  paused.delete(`${ref.root}/${node.name}`);
}

/** Starts a dead node on its data and waits until it has rejoined; a running node is left alone. */
export async function reviveNode(ref: ClusterRef, node: ClusterNodeRef): Promise<void> {
  if (isNodeRunning(ref, node)) return;
  const { service, state } = serviceAndState(ref);
  await startNode(service, state, ref.root, node);
}

/** How long a running node may take to be ready again after a fault before heal restarts it. */
const WHOLE_TIMEOUT_MS = 20_000;

/**
 * Every link healed, every node resumed, running and ready: what each case starts from and ends
 * with. Ready matters: seen with NATS, a case set up right after a partition-ring healed was refused
 * ("JetStream system temporarily unavailable") while the meta group re-formed. A node that runs but
 * is still not ready after WHOLE_TIMEOUT_MS is restarted on its data — e.g.
 * RabbitMQ nodes whose metadata a partition left split (each lists the others as not running,
 * and pause_minority never acts: docs/findings-rabbitmq-cluster.md).
 */
export async function healCluster(
  ref: ClusterRef,
  log: (line: string) => void = (line) => process.stderr.write(`brokerproof: ${line}\n`),
): Promise<void> {
  await healLinks(ref);
  for (const node of ref.nodes) thawNode(ref, node);
  const { service, state } = serviceAndState(ref);
  for (const node of ref.nodes) {
    if (!isNodeRunning(ref, node)) {
      await startNode(service, state, ref.root, node);
      continue;
    }
    try {
      await service.nodeReady(state, node, WHOLE_TIMEOUT_MS);
    } catch (error) {
      log(`${ref.broker} ${node.name} runs but is not ready (${describeError(error)}): restarting it`);
      await stopNode(ref.root, node, service.stopGraceMs);
      await startNode(service, state, ref.root, node);
    }
  }
}
