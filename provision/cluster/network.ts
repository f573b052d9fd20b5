/**
 * The network of a cluster on one machine: one bridge in the root namespace, and per node a network
 * namespace joined to it by a veth pair, with an address from a small private range used only
 * there. Partitions are iptables DROP rules by source address inside the nodes' namespaces (how
 * Jepsen cuts links), healed by flushing INPUT. The plans are pure (argv lists), so they can be
 * read and tested without root; `runCommands` carries them out.
 */
import { spawnSync } from 'node:child_process';
import { BrokerUnavailableError } from '../../core/errors.ts';
import type { ClusterNodeRef } from '../../core/fault-targets.ts';
import { run } from '../local/exec.ts';

/** Everything of ours starts with this: namespaces, veths, the bridge. */
export const NAME_PREFIX = 'bpc';
export const BRIDGE = `${NAME_PREFIX}-br0`;
/** The first three octets of the /24 the clusters use (BROKERPROOF_CLUSTER_SUBNET). */
export const DEFAULT_SUBNET = '10.213.0';
export const SUBNET_VARIABLE = 'BROKERPROOF_CLUSTER_SUBNET';

/** Each broker gets ten addresses of its own, so clusters of different brokers can run side by side. */
const BROKER_BLOCK: Record<string, number> = { nats: 10, kafka: 20, rabbitmq: 30 };

export type Command = readonly string[];

export interface ClusterNetwork {
  subnet: string;
  bridge: string;
  /** The bridge's address: where clients in the root namespace come from. */
  gateway: string;
  nodes: ClusterNodeRef[];
}

export function subnetOf(env: NodeJS.ProcessEnv): string {
  const subnet = env[SUBNET_VARIABLE] ?? DEFAULT_SUBNET;
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(subnet))
    throw new Error(`${SUBNET_VARIABLE} must be the first three octets of a /24, e.g. 10.213.0`);
  return subnet;
}

/** The namespace (and root-side veth) name of a node: `bpc-nats-1` (link names allow 15 characters). */
export function netnsName(broker: string, index: number): string {
  return `${NAME_PREFIX}-${broker}-${index}`;
}

export function planNetwork(broker: string, size: number, subnet = DEFAULT_SUBNET): ClusterNetwork {
  const block = BROKER_BLOCK[broker];
  if (block === undefined) throw new Error(`no cluster addresses for ${broker}`);
  if (size < 1 || size > 9) throw new Error(`a cluster has 1 to 9 nodes, not ${size}`);
  return {
    subnet,
    bridge: BRIDGE,
    gateway: `${subnet}.1`,
    nodes: Array.from({ length: size }, (_, i) => ({
      name: `n${i + 1}`,
      netns: netnsName(broker, i + 1),
      address: `${subnet}.${block + i + 1}`,
    })),
  };
}

/**
 * The bridge, when it is missing. `nf_call_iptables 0`: bridged frames skip the root namespace's
 * iptables (Docker sets FORWARD to DROP there, which would cut the nodes from each other).
 */
export function bridgeCommands(net: ClusterNetwork, exists: boolean): Command[] {
  if (exists) return [['ip', 'link', 'set', net.bridge, 'up']];
  return [
    ['ip', 'link', 'add', net.bridge, 'type', 'bridge', 'nf_call_iptables', '0'],
    ['ip', 'addr', 'add', `${net.gateway}/24`, 'dev', net.bridge],
    ['ip', 'link', 'set', net.bridge, 'up'],
  ];
}

/**
 * Where br_netfilter is loaded globally (Docker loads it), bridged frames still pass the root
 * namespace's FORWARD chain whatever the bridge says, and Docker's policy there is DROP: this rule
 * lets frames between the bridge's ports through. `check` first, so it is added once.
 */
export function forwardRule(action: '-C' | '-I' | '-D'): Command {
  const position = action === '-I' ? ['1'] : [];
  return ['iptables', '-w', action, 'FORWARD', ...position, '-i', BRIDGE, '-o', BRIDGE, '-j', 'ACCEPT'];
}

/** One node's namespace, its veth pair onto the bridge, its address and loopback. */
export function nodeUpCommands(net: ClusterNetwork, node: ClusterNodeRef): Command[] {
  const inNs = (...args: string[]): Command => ['ip', '-n', node.netns, ...args];
  return [
    ['ip', 'netns', 'add', node.netns],
    ['ip', 'link', 'add', node.netns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns],
    ['ip', 'link', 'set', node.netns, 'master', net.bridge, 'up'],
    inNs('addr', 'add', `${node.address}/24`, 'dev', 'eth0'),
    inNs('link', 'set', 'eth0', 'up'),
    inNs('link', 'set', 'lo', 'up'),
  ];
}

/** Removes a node's veth and namespace (the veth first: deleting a namespace frees it only later). */
export function nodeDownCommands(node: Pick<ClusterNodeRef, 'netns'>): Command[] {
  return [
    ['ip', 'link', 'del', node.netns],
    ['ip', 'netns', 'del', node.netns],
  ];
}

export function bridgeDownCommands(): Command[] {
  return [['ip', 'link', 'del', BRIDGE]];
}

function iptables(node: ClusterNodeRef, ...args: string[]): Command {
  return ['ip', 'netns', 'exec', node.netns, 'iptables', '-w', ...args];
}

/** Cuts every link between a node of `a` and a node of `b`, both ways (clients keep their links). */
export function cutCommands(a: readonly ClusterNodeRef[], b: readonly ClusterNodeRef[]): Command[] {
  const commands: Command[] = [];
  for (const x of a)
    for (const y of b) {
      commands.push(iptables(x, '-A', 'INPUT', '-s', y.address, '-j', 'DROP'));
      commands.push(iptables(y, '-A', 'INPUT', '-s', x.address, '-j', 'DROP'));
    }
  return commands;
}

/** One-way cuts: each node of `drops` stops hearing from the sources listed for it (ring partitions). */
export function dropCommands(drops: ReadonlyMap<ClusterNodeRef, readonly ClusterNodeRef[]>): Command[] {
  const commands: Command[] = [];
  for (const [node, sources] of drops)
    for (const source of sources)
      commands.push(iptables(node, '-A', 'INPUT', '-s', source.address, '-j', 'DROP'));
  return commands;
}

/** Heals every partition: INPUT of each namespace holds only our rules. */
export function healCommands(nodes: readonly ClusterNodeRef[]): Command[] {
  return nodes.map((node) => iptables(node, '-F', 'INPUT'));
}

/** A namespace, link or rule could not be made or removed. */
export class ClusterNetworkError extends BrokerUnavailableError {}

/** Runs commands in order; the first that fails throws with its output (unless `tolerate`). */
export async function runCommands(commands: readonly Command[], tolerate = false): Promise<void> {
  for (const [command, ...args] of commands) {
    const result = await run(command!, args, { timeoutMs: 15_000 });
    if (result.code !== 0 && !tolerate)
      throw new ClusterNetworkError(`${[command, ...args].join(' ')} failed: ${result.output.trim()}`, {
        hint: 'Namespaces, veths and iptables need root on Linux (`brokerproof brokers down --cluster` removes leftovers).',
      });
  }
}

/** The same, synchronously and tolerating failures: for `exit` handlers. */
export function runCommandsSync(commands: readonly Command[]): void {
  for (const [command, ...args] of commands) spawnSync(command!, args, { stdio: 'ignore', timeout: 5_000 });
}

/** Our namespaces and links present now (leftovers of a killed run among them). */
export async function presentNames(): Promise<{ netns: string[]; links: string[] }> {
  const ns = await run('ip', ['netns', 'list']);
  const links = await run('ip', ['-o', 'link', 'show']);
  const ours = (name: string | undefined): name is string => !!name?.startsWith(`${NAME_PREFIX}-`);
  return {
    netns: ns.output
      .split('\n')
      .map((line) => line.split(' ')[0])
      .filter(ours),
    links: links.output
      .split('\n')
      .map((line) => line.split(': ')[1]?.split('@')[0])
      .filter(ours),
  };
}
