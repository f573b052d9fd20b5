/**
 * Faults a case can inject, and their plans as fast-check draws them. Network faults act on the
 * driver's Toxiproxy proxy; broker faults on the broker process (native provisioning); process
 * faults on the case's own consumers and producers.
 */

export const NETWORK_FAULTS = [
  'partition',
  'latency',
  'bandwidth',
  'timeout',
  'reset-peer',
  'slicer',
  'limit-data',
] as const;
/**
 * `power-loss`: kill -9, then every write the broker never fsynced is dropped (lossyfs under its
 * data directory: a dedicated instance, provision/local/dedicated.ts), then it restarts on what is left.
 */
export const BROKER_FAULTS = ['broker-kill', 'broker-pause', 'power-loss'] as const;
export const PROCESS_FAULTS = ['consumer-crash', 'producer-crash'] as const;
/**
 * Faults between the nodes of a cluster (`brokers up --cluster N`): links cut with iptables inside
 * the nodes' namespaces (clients keep theirs), or a node killed. `isolate-node` and `kill-node` pick
 * a drawn node, `isolate-leader` and `kill-leader` the node leading the case's stream / partition /
 * queue as the broker reports it, `partition-halves` a drawn minority (⌊n/2⌋ nodes) from the rest,
 * `partition-ring` leaves each node hearing a majority of its own (no two the same), `bridge` splits
 * the others in two halves that only a drawn node hears both of, `pause-node` SIGSTOPs a drawn node.
 */
export const CLUSTER_FAULTS = [
  'isolate-node',
  'isolate-leader',
  'kill-node',
  'kill-leader',
  'partition-halves',
  'partition-ring',
  'bridge',
  'pause-node',
] as const;
export const FAULT_KINDS = [
  ...PROCESS_FAULTS,
  ...NETWORK_FAULTS,
  ...BROKER_FAULTS,
  ...CLUSTER_FAULTS,
] as const;

export type NetworkFault = (typeof NETWORK_FAULTS)[number];
export type BrokerFault = (typeof BROKER_FAULTS)[number];
export type ClusterFault = (typeof CLUSTER_FAULTS)[number];
export type FaultKind = (typeof FAULT_KINDS)[number];
export type Stream = 'upstream' | 'downstream' | 'both';

/**
 * Whose link to the broker a network fault cuts: producers and consumers reach the broker through
 * separate Toxiproxy proxies, so a fault can hit one side while the other keeps working.
 */
export const NETWORK_ROLES = ['all', 'producers', 'consumers'] as const;
export type NetworkRole = (typeof NETWORK_ROLES)[number];

/**
 * What a fault acts on: the broker (its links by role, its process), one consumer's link alone
 * (`@consumer`: `params.consumer` says which, by its index among the case's consumers), or — with
 * `@store` — the scenario's store (PostgreSQL's proxy and process), so the application's database
 * fails too.
 */
export type FaultRole = NetworkRole | 'consumer' | 'store';

/**
 * One scheduled fault: starts `atMs` after the load phase begins and is healed `durationMs` later
 * (or in the heal phase, whichever comes first). Consumer crashes are planned per delivery instead
 * (scenarios/scenario.ts CrashPlan), so they strike mid-processing.
 */
export interface FaultPlan {
  kind: Exclude<FaultKind, 'consumer-crash'>;
  atMs: number;
  durationMs: number;
  /** Network faults: which direction of the proxy (client → broker is upstream). */
  stream?: Stream | undefined;
  /**
   * Network faults: whose link (default `all`: every proxy of the broker). `store`: the store's
   * link (network faults) or process (broker faults) instead of the broker's.
   */
  role?: FaultRole | undefined;
  /** Toxic attributes (latency ms, rate KB/s, …) or, for producer-crash, which producer. */
  params: Record<string, number>;
}

export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

export const isNetworkFault = (kind: string): kind is NetworkFault =>
  (NETWORK_FAULTS as readonly string[]).includes(kind);
export const isBrokerFault = (kind: string): kind is BrokerFault =>
  (BROKER_FAULTS as readonly string[]).includes(kind);
export const isClusterFault = (kind: string): kind is ClusterFault =>
  (CLUSTER_FAULTS as readonly string[]).includes(kind);

/** A one-line description for logs, timelines and `toString` of a plan. */
export function describeFault(plan: FaultPlan): string {
  const params = Object.entries(plan.params)
    .filter(([k]) => !(plan.role === 'consumer' && k === 'consumer'))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const stream = plan.stream ? ` ${plan.stream}` : '';
  const role =
    plan.role === 'consumer'
      ? `@consumer-${plan.params.consumer ?? 0}`
      : plan.role && plan.role !== 'all'
        ? `@${plan.role}`
        : '';
  return `${plan.kind}${role}${stream}${params ? ` ${params}` : ''} at +${plan.atMs} ms for ${plan.durationMs} ms`;
}

/**
 * A fault as the command line and config name it: a kind, and for network faults optionally whose
 * link (`partition@consumers`, or one consumer's: `partition@consumer`). Undefined when the spec names no such fault.
 */
export function parseFaultSpec(spec: string): { kind: FaultKind; role?: FaultRole | undefined } | undefined {
  const [kind, role, ...rest] = spec.split('@');
  if (rest.length > 0 || kind === undefined || !isFaultKind(kind)) return undefined;
  if (role === undefined) return { kind };
  if (role === 'store')
    return isNetworkFault(kind) || (isBrokerFault(kind) && kind !== 'power-loss')
      ? { kind, role }
      : undefined;
  if (role === 'consumer') return isNetworkFault(kind) ? { kind, role } : undefined;
  return isNetworkFault(kind) && (NETWORK_ROLES as readonly string[]).includes(role)
    ? { kind, role: role as NetworkRole }
    : undefined;
}

export function isFaultSpec(value: string): boolean {
  return value === 'none' || parseFaultSpec(value) !== undefined;
}
