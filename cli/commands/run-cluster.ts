/**
 * Whether a run uses the broker's cluster (`brokerproof brokers up --cluster N`) instead of the
 * single node: when `--cluster` says so, when a cluster fault is asked for, or when a selected setup
 * runs only on a cluster (NATS `jetstream-r3`). A run never starts a cluster itself: one must be up.
 */

import type { BrokerName } from '../../core/brokers.ts';
import { UsageError } from '../../core/errors.ts';
import { createDriver, type DriverSettings, type Placement } from '../../drivers/index.ts';
import { isClusterFault, parseFaultSpec } from '../../faults/fault-plan.ts';

export interface ClusterAsk {
  driver: string;
  settings: DriverSettings;
  setups: string[] | undefined;
  faults: readonly string[];
  /** `--cluster N`: nodes the cluster must have (true: any size). */
  cluster?: number | boolean | undefined;
}

/** Why the run needs a cluster, or undefined when it runs on the single node. */
export async function clusterReason(ask: ClusterAsk): Promise<string | undefined> {
  if (ask.cluster !== undefined && ask.cluster !== false) return '--cluster';
  const fault = ask.faults.find((f) => {
    const spec = parseFaultSpec(f);
    return spec !== undefined && isClusterFault(spec.kind);
  });
  if (fault) return `--faults ${fault}`;
  if (!ask.setups?.length) return undefined;
  // The driver's setups are known without a broker (a driver without one can still list them).
  const driver = await createDriver(ask.driver, ask.settings, {});
  try {
    const setup = driver.setups.find((s) => ask.setups!.includes(s.name) && s.options.cluster === true);
    return setup ? `setup ${setup.name}` : undefined;
  } finally {
    await driver.close();
  }
}

/** The placement of a run on the broker's running cluster (its every node, and the cluster for faults). */
export async function clusterPlacement(
  broker: BrokerName,
  ask: ClusterAsk,
  log: (line: string) => void,
): Promise<Placement | undefined> {
  const reason = await clusterReason(ask);
  if (!reason) return undefined;
  const { clusterEndpoint, clusterUnavailableReason } = await import('../../provision/cluster/index.ts');
  const unavailable = clusterUnavailableReason();
  if (unavailable)
    throw new UsageError(`${reason} needs a ${broker} cluster, which cannot run here: ${unavailable}`, {
      hint: 'Run as root on Linux, or choose single-node setups and faults.',
    });
  const endpoint = await clusterEndpoint(broker);
  const nodes = endpoint.cluster?.nodes.length ?? 0;
  if (typeof ask.cluster === 'number' && ask.cluster !== nodes)
    throw new UsageError(`--cluster ${ask.cluster}: the running ${broker} cluster has ${nodes} nodes`, {
      hint: `Start one of that size: \`brokerproof brokers up --cluster ${ask.cluster} --only ${broker}\`.`,
    });
  log(
    `brokerproof: ${broker} cluster of ${nodes} nodes (${reason}) at ${endpoint.cluster?.nodes.map((n) => `${n.name} ${n.address}`).join(', ')}`,
  );
  return { endpoint, native: false };
}
