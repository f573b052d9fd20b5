import {
  type FaultPlan,
  type FaultRole,
  isBrokerFault,
  isClusterFault,
  isNetworkFault,
  type Stream,
} from './fault-plan.ts';

/** A fault as drawn, before it is placed in time: where in the load (0..1 of it), how long, and how. */
export interface FaultDraw {
  kind: FaultPlan['kind'];
  at: number;
  durationMs: number;
  stream: Stream;
  role: FaultRole;
  params: Record<string, number>;
}

/** Time between two faults on one target, so one is healed before the next starts. */
export const FAULT_GAP_MS = 250;
/** Producers go on sending this long after the last fault healed, so recovery is exercised too. */
export const LOAD_TAIL_MS = 1_000;

/**
 * What a fault acts on, for keeping two faults off one target at once: a network fault its role's
 * proxies (`all` covers both roles, `consumer` one consumer's proxy), a broker fault the broker
 * process (or the store's, `@store`), a cluster fault the cluster, a producer crash its producer.
 */
export function faultTargets(plan: Pick<FaultPlan, 'kind' | 'role' | 'params'>): string[] {
  if (isNetworkFault(plan.kind)) {
    const role = plan.role ?? 'all';
    if (role === 'consumer') return [`network:consumer-${plan.params.consumer ?? 0}`];
    return role === 'all' ? ['network:producers', 'network:consumers'] : [`network:${role}`];
  }
  if (isBrokerFault(plan.kind)) return [plan.role === 'store' ? 'store' : 'broker'];
  // One cluster fault at a time: each heals by flushing every rule, or by starting its node.
  if (isClusterFault(plan.kind)) return ['cluster'];
  return [`producer-${plan.params.producer ?? 0}`];
}

/**
 * Whether two targets are one: the consumers' link covers each consumer's own (a fault on
 * `consumers` acts on every per-consumer proxy too), but two consumers' links are apart.
 */
export function targetsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const one = (x: string) => x.startsWith('network:consumer-');
  return (a === 'network:consumers' && one(b)) || (b === 'network:consumers' && one(a));
}

/**
 * Places drawn faults inside a load of about `loadMs`: each at its drawn fraction of the load, but
 * never while another fault holds one of its targets (it waits until that one healed), and the load
 * is stretched so every fault ends before producers stop. Pure: the same draws give the same plan.
 */
export function placeFaults(
  draws: readonly FaultDraw[],
  loadMs: number,
): { plans: FaultPlan[]; loadMs: number } {
  const free = new Map<string, number>();
  const plans: FaultPlan[] = [];
  for (const draw of [...draws].sort((a, b) => a.at - b.at)) {
    const plan: FaultPlan = {
      kind: draw.kind,
      atMs: Math.round(draw.at * loadMs),
      durationMs: draw.durationMs,
      ...((isNetworkFault(draw.kind) || draw.role === 'store') && { role: draw.role }),
      // A partition cuts the whole proxy; toxics act on one direction or both.
      ...(isNetworkFault(draw.kind) && draw.kind !== 'partition' && { stream: draw.stream }),
      params: draw.params,
    };
    const targets = faultTargets(plan);
    for (const [held, until] of free)
      if (targets.some((t) => targetsOverlap(t, held))) plan.atMs = Math.max(plan.atMs, until);
    for (const t of targets) free.set(t, plan.atMs + plan.durationMs + FAULT_GAP_MS);
    plans.push(plan);
  }
  const lastEnd = Math.max(0, ...plans.map((p) => p.atMs + p.durationMs));
  return { plans, loadMs: plans.length ? Math.max(loadMs, lastEnd + LOAD_TAIL_MS) : loadMs };
}
