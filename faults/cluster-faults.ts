/**
 * The cluster nemesis: partitions between the nodes of a cluster and node crashes. A partition is
 * iptables DROP rules by source address inside the nodes' namespaces, both ways, between the nodes
 * it separates; clients (in the root namespace) keep their links to every node, as in Jepsen. It is
 * healed by flushing the rules. What a fault did — which nodes, and the leader it found — goes into
 * its `fault` `start` `ok` event as `detail`.
 */
import type { ClusterNodeRef, ClusterRef } from '../core/fault-targets.ts';
import type { ClusterFault, FaultPlan } from './fault-plan.ts';

/** What the `fault` `start` `ok` event of a cluster fault carries as `detail`. */
export interface ClusterFaultDetail {
  [key: string]: unknown;
  /**
   * The nodes the fault hit: the isolated, killed or paused node, the minority of partition-halves,
   * the bridge node, or every node of a ring.
   */
  nodes: string[];
  /** The nodes on the other side of the cut (partitions only). */
  others?: string[];
  /** The leader of the case's stream / partition / queue as the broker reported it before the fault. */
  leader?: string;
  /** bridge: the two halves the bridge node joins. */
  sides?: string[][];
  /** partition-ring: the links cut (`n1-n3`). */
  cuts?: string[];
  /** The killed or paused process (kill-node, kill-leader, pause-node). */
  pid?: number;
}

/** How long isolate-leader and kill-leader keep asking for a leader (one may be being elected). */
const LEADER_DEADLINE_MS = 10_000;

async function currentLeader(leader: (() => Promise<string | undefined>) | undefined): Promise<string> {
  if (!leader) throw new Error('the driver cannot tell which node leads the case (no leader lookup)');
  const deadline = Date.now() + LEADER_DEADLINE_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const name = await leader();
      if (name) return name;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `no leader reported within ${LEADER_DEADLINE_MS} ms${last instanceof Error ? ` (${last.message})` : ''}`,
    { cause: last },
  );
}

/** The leader if the broker names one within a few seconds; never throws (a heal must not fail on it). */
async function leaderSoon(
  leader: (() => Promise<string | undefined>) | undefined,
  withinMs = 3_000,
): Promise<string | undefined> {
  if (!leader) return undefined;
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const name = await leader().catch(() => undefined);
    if (name) return name;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}

/**
 * The minority of partition-halves: ⌊n/2⌋ nodes in a row from the drawn one (wrapping), so every
 * split of a ring is reachable and the same draw always gives the same split.
 */
export function minorityOf(nodes: readonly ClusterNodeRef[], start: number): ClusterNodeRef[] {
  const size = Math.max(1, Math.floor(nodes.length / 2));
  return Array.from({ length: size }, (_, k) => nodes[(start + k) % nodes.length]!);
}

/** The drawn node's ring: every node, starting from the drawn one. */
function ringFrom(nodes: readonly ClusterNodeRef[], start: number): ClusterNodeRef[] {
  return nodes.map((_, k) => nodes[(start + k) % nodes.length]!);
}

/**
 * bridge: the drawn node stays linked to everyone; the others, in ring order after it, split into two
 * halves that cannot hear each other. Each side plus the bridge is a majority.
 */
export function bridgeOf(
  nodes: readonly ClusterNodeRef[],
  start: number,
): { bridge: ClusterNodeRef; left: ClusterNodeRef[]; right: ClusterNodeRef[] } {
  const [bridge, ...rest] = ringFrom(nodes, start);
  const half = Math.floor(rest.length / 2);
  return { bridge: bridge!, left: rest.slice(0, half), right: rest.slice(half) };
}

/** The smallest cluster on which every node can see a majority of its own through symmetric links. */
export const RING_MIN_NODES = 5;

/**
 * partition-ring: the nodes in a ring from the drawn one; a node keeps its links to the nodes within
 * ring distance d = ⌈(m−1)/2⌉ (m: a majority) and loses every other link, both ways. Each node then
 * sees a majority, and no two see the same one (with 5 nodes: itself and its two neighbours). Links
 * are cut both ways because these brokers talk TCP: dropping one direction kills the connection in
 * both, so Jepsen's one-way grudge would isolate every node of a 3-node cluster.
 */
export function ringCuts(
  nodes: readonly ClusterNodeRef[],
  start: number,
): [ClusterNodeRef, ClusterNodeRef][] {
  const n = nodes.length;
  const ring = ringFrom(nodes, start);
  const majority = Math.floor(n / 2) + 1;
  const reach = Math.ceil((majority - 1) / 2);
  const cuts: [ClusterNodeRef, ClusterNodeRef][] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const distance = Math.min(j - i, n - (j - i));
      if (distance > reach) cuts.push([ring[i]!, ring[j]!]);
    }
  return cuts;
}

/** Why a cluster of this size cannot take the fault, if it cannot. */
export function clusterFaultUnsupported(kind: ClusterFault, size: number): string | undefined {
  if (kind === 'partition-ring' && size < RING_MIN_NODES)
    return `partition-ring needs ${RING_MIN_NODES} or more nodes (this cluster has ${size}): with fewer, no symmetric cut lets every node see a majority of its own; bridge is the closest fault on 3 nodes`;
  if (size < 3 && kind !== 'kill-node' && kind !== 'kill-leader' && kind !== 'pause-node')
    return `${kind} needs at least 3 nodes (this cluster has ${size})`;
  return undefined;
}

/** Applies a cluster fault; resolves with what it did and how to heal it. */
export async function applyClusterFault(
  plan: FaultPlan & { kind: ClusterFault },
  ref: ClusterRef,
  leader: (() => Promise<string | undefined>) | undefined,
  log: (message: string) => void,
): Promise<{ detail: ClusterFaultDetail; undo: () => Promise<{ leader: string } | undefined> }> {
  const control = await import('../provision/cluster/control.ts');
  const drawn = ref.nodes[(plan.params.node ?? 0) % ref.nodes.length]!;
  const byLeader = plan.kind === 'isolate-leader' || plan.kind === 'kill-leader';
  const leaderName = byLeader ? await currentLeader(leader) : undefined;
  const target = leaderName ? control.nodeOf(ref, leaderName) : drawn;
  // Every cluster fault notes the leader before it (for the timeline); only leader faults need one.
  const before = leaderName ?? (await leaderSoon(leader, 1_000));
  const base = before ? { leader: before } : {};
  // After the heal: which node leads now, so the timeline shows the leader changes the fault caused.
  const healed = (heal: () => Promise<void> | void) => async (): Promise<{ leader: string } | undefined> => {
    await heal();
    const after = await leaderSoon(leader);
    return after ? { leader: after } : undefined;
  };
  switch (plan.kind) {
    case 'isolate-node':
    case 'isolate-leader':
    case 'partition-halves': {
      const side = plan.kind === 'partition-halves' ? minorityOf(ref.nodes, plan.params.node ?? 0) : [target];
      const others = ref.nodes.filter((n) => !side.includes(n));
      await control.cutLinks(ref, side, others);
      const names = side.map((n) => n.name);
      log(`${plan.kind}: ${names.join(',')} cut from ${others.map((n) => n.name).join(',')}`);
      return {
        detail: { nodes: names, others: others.map((n) => n.name), ...base },
        undo: healed(() => control.healLinks(ref)),
      };
    }
    case 'kill-node':
    case 'kill-leader': {
      const pid = await control.crashNode(ref, target);
      log(`${plan.kind}: killed ${target.name} (pid ${pid})`);
      return {
        detail: { nodes: [target.name], pid, ...base },
        undo: healed(() => control.reviveNode(ref, target)),
      };
    }
    case 'pause-node': {
      const pid = control.freezeNode(ref, target);
      log(`pause-node: paused ${target.name} (pid ${pid})`);
      return {
        detail: { nodes: [target.name], pid, ...base },
        undo: healed(() => control.thawNode(ref, target)),
      };
    }
    case 'bridge': {
      const { bridge, left, right } = bridgeOf(ref.nodes, plan.params.node ?? 0);
      await control.cutLinks(ref, left, right);
      const names = (side: ClusterNodeRef[]) => side.map((n) => n.name);
      log(`bridge: ${names(left).join(',')} cut from ${names(right).join(',')}; ${bridge.name} hears both`);
      return {
        detail: {
          nodes: [bridge.name],
          others: [...names(left), ...names(right)],
          sides: [names(left), names(right)],
        },
        undo: healed(() => control.healLinks(ref)),
      };
    }
    case 'partition-ring': {
      const cuts = ringCuts(ref.nodes, plan.params.node ?? 0);
      for (const [a, b] of cuts) await control.cutLinks(ref, [a], [b]);
      const pairs = cuts.map(([a, b]) => `${a.name}-${b.name}`);
      log(`partition-ring: cut ${pairs.join(', ')}`);
      return {
        detail: { nodes: ref.nodes.map((n) => n.name), cuts: pairs, ...base },
        undo: healed(() => control.healLinks(ref)),
      };
    }
  }
}
