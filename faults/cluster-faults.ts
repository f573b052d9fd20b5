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
  /** The nodes the fault hit: the isolated or killed node, or the minority of partition-halves. */
  nodes: string[];
  /** The nodes on the other side of the cut (partitions only). */
  others?: string[];
  /** The leader of the case's stream / partition / queue as the broker reported it before the fault. */
  leader?: string;
  /** The killed process (kill-node, kill-leader). */
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

/**
 * The minority of partition-halves: ⌊n/2⌋ nodes in a row from the drawn one (wrapping), so every
 * split of a ring is reachable and the same draw always gives the same split.
 */
export function minorityOf(nodes: readonly ClusterNodeRef[], start: number): ClusterNodeRef[] {
  const size = Math.max(1, Math.floor(nodes.length / 2));
  return Array.from({ length: size }, (_, k) => nodes[(start + k) % nodes.length]!);
}

/** Applies a cluster fault; resolves with what it did and how to heal it. */
export async function applyClusterFault(
  plan: FaultPlan & { kind: ClusterFault },
  ref: ClusterRef,
  leader: (() => Promise<string | undefined>) | undefined,
  log: (message: string) => void,
): Promise<{ detail: ClusterFaultDetail; undo: () => Promise<void> }> {
  const control = await import('../provision/cluster/control.ts');
  const drawn = ref.nodes[(plan.params.node ?? 0) % ref.nodes.length]!;
  const byLeader = plan.kind === 'isolate-leader' || plan.kind === 'kill-leader';
  const leaderName = byLeader ? await currentLeader(leader) : undefined;
  const target = leaderName ? control.nodeOf(ref, leaderName) : drawn;
  const base = leaderName ? { leader: leaderName } : {};
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
        undo: () => control.healLinks(ref),
      };
    }
    case 'kill-node':
    case 'kill-leader': {
      const pid = await control.crashNode(ref, target);
      log(`${plan.kind}: killed ${target.name} (pid ${pid})`);
      return {
        detail: { nodes: [target.name], pid, ...base },
        undo: () => control.reviveNode(ref, target),
      };
    }
  }
}
