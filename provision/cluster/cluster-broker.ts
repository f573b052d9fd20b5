/** What a cluster needs to know about one broker: how a node of it starts, and when it is healthy. */
import type { ClusterNodeRef } from '../../core/fault-targets.ts';
import type { BrokerEndpoint, BrokerName } from '../endpoints.ts';
import type { Log } from '../local/install.ts';
import type { SpawnSpec } from '../local/processes.ts';
import type { Installation, LocalContext } from '../local/service.ts';

export interface ClusterLayout {
  broker: BrokerName;
  /** Every node (its peers included), in order. */
  nodes: readonly ClusterNodeRef[];
}

export interface ClusterBroker {
  broker: BrokerName;
  /** The installed binaries of the native path (shared cache). */
  install(ctx: LocalContext, log: Log): Promise<Installation>;
  /** Writes the node's configuration into `dir` (keeping its data) and says how to start it. */
  prepareNode(
    layout: ClusterLayout,
    node: ClusterNodeRef,
    dir: string,
    installation: Installation,
  ): SpawnSpec | Promise<SpawnSpec>;
  /** Resolves once the node serves and has joined the cluster; throws after `timeoutMs`. */
  nodeReady(layout: ClusterLayout, node: ClusterNodeRef, timeoutMs: number): Promise<void>;
  /** Where clients in the root namespace connect: every node's address. */
  endpoint(layout: ClusterLayout): BrokerEndpoint;
  /** How long a node may take from spawn to ready. */
  startTimeoutMs: number;
  stopGraceMs: number;
}
