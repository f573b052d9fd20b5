/**
 * The processes of a cluster's nodes: each started inside its namespace (`ip netns exec` execs the
 * server, so the recorded PID is the server's), in a process group of its own, carrying the owner
 * marker `<cluster dir>/<node>` so that `down` and a later `up` find exactly what we started.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerUnavailableError } from '../../core/errors.ts';
import type { ClusterNodeRef, ClusterRef } from '../../core/fault-targets.ts';
import { run } from '../local/exec.ts';
import {
  findOwned,
  isAlive,
  isOurs,
  logTail,
  type ProcessRecord,
  readRecord,
  removeRecord,
  signalGroup,
  signalSafe,
  spawnDetached,
  stopOwned,
  waitForExit,
  writeRecord,
} from '../local/processes.ts';
import type { Installation } from '../local/service.ts';
import type { ClusterBroker } from './cluster-broker.ts';

/** What `cluster.json` in the cluster's directory holds. */
export interface ClusterState {
  broker: ClusterRef['broker'];
  size: number;
  subnet: string;
  installation: Installation;
  nodes: ClusterNodeRef[];
  startedAt: string;
}

export function stateFile(root: string): string {
  return join(root, 'cluster.json');
}

export function readClusterState(root: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(root), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

export function nodeDir(root: string, node: Pick<ClusterNodeRef, 'name'>): string {
  return join(root, node.name);
}

export function liveNodeRecord(root: string, node: ClusterNodeRef): ProcessRecord | undefined {
  const record = readRecord(nodeDir(root, node));
  return record && isOurs(record.pid, record.owner) ? record : undefined;
}

/** Spawns the node in its namespace (it must not run) and waits until it is ready. */
export async function startNode(
  service: ClusterBroker,
  state: ClusterState,
  root: string,
  node: ClusterNodeRef,
  timeoutMs = service.startTimeoutMs,
): Promise<ProcessRecord> {
  const dir = nodeDir(root, node);
  const layout = { broker: state.broker, nodes: state.nodes };
  const spec = await service.prepareNode(layout, node, dir, state.installation);
  const record = spawnDetached(`${state.broker}-${node.name}`, dir, state.installation.version, spec);
  writeRecord(dir, record);
  const ready = service.nodeReady(layout, node, timeoutMs);
  // A node that dies while starting fails at once, with its log.
  let waiting = true;
  const died = (async () => {
    while (waiting && isAlive(record.pid)) await new Promise((r) => setTimeout(r, 200));
  })();
  try {
    const outcome = await Promise.race([
      ready.then(() => 'ready' as const),
      died.then(() => 'died' as const),
    ]);
    if (outcome === 'died')
      throw new BrokerUnavailableError(`${state.broker} node ${node.name} exited while starting`, {
        hint: `Its log: ${record.logFile}`,
      });
    return record;
  } catch (error) {
    const last = logTail(record.logFile, 8);
    throw new BrokerUnavailableError(
      `${error instanceof Error ? error.message : String(error)}${last ? `\n  last lines of its log:\n${last}` : ''}`,
      { cause: error, hint: 'Remove what is left with `brokerproof brokers down --cluster`.' },
    );
  } finally {
    waiting = false;
    ready.catch(() => {});
  }
}

/** SIGKILL to the node's process group: a crash. Resolves once it is gone; its PID. */
export async function killNode(root: string, node: ClusterNodeRef): Promise<number> {
  const record = liveNodeRecord(root, node);
  if (!record) throw new BrokerUnavailableError(`node ${node.name} is not running`);
  signalGroup(record.pid, 'SIGKILL');
  signalGroup(record.pid, 'SIGCONT');
  if (!(await waitForExit([record.pid], 10_000)))
    throw new BrokerUnavailableError(`node ${node.name} (pid ${record.pid}) survived SIGKILL for 10 s`);
  return record.pid;
}

/** SIGSTOP to the node's process group: it stays alive but answers nothing (a long GC pause, a VM stall). */
export function pauseNode(root: string, node: ClusterNodeRef): number {
  const record = liveNodeRecord(root, node);
  if (!record) throw new BrokerUnavailableError(`node ${node.name} is not running`);
  signalGroup(record.pid, 'SIGSTOP');
  return record.pid;
}

/** SIGCONT to the node's process group (harmless for a node that runs). */
export function resumeNode(root: string, node: ClusterNodeRef): void {
  const record = liveNodeRecord(root, node);
  if (record) signalGroup(record.pid, 'SIGCONT');
}

/** Stops the node (SIGTERM, then SIGKILL after the grace) and anything else left in its namespace. */
export async function stopNode(root: string, node: ClusterNodeRef, graceMs: number): Promise<void> {
  const dir = nodeDir(root, node);
  const record = readRecord(dir);
  await stopOwned(record?.pid, dir, graceMs);
  await killNamespaceProcesses(node.netns);
  removeRecord(dir);
}

/** Every process running in the namespace gets SIGKILL (ours by name: only we create `bpc-*`). */
export async function killNamespaceProcesses(netns: string): Promise<void> {
  const result = await run('ip', ['netns', 'pids', netns]);
  if (result.code !== 0) return;
  const pids = result.output
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
  for (const pid of pids) signalSafe(pid, 'SIGKILL');
  await waitForExit(pids, 5_000);
}

/** Processes that carry an owner marker below the cluster directory. */
export function ownedUnder(root: string): number[] {
  return findOwned(root).map((p) => p.pid);
}

/**
 * Resident memory in MB of the process group led by `pid` (0 when it is gone): a node started
 * through a script (rabbitmq-server) counts its runtime (beam.smp) too.
 */
export function rssMb(pid: number): number {
  let kb = 0;
  for (const entry of existsSync('/proc') ? readdirSync('/proc') : []) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may hold spaces): state, ppid, pgrp, …
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp !== pid) continue;
      const match = readFileSync(`/proc/${entry}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
      kb += match ? Number(match[1]) : 0;
    } catch {
      // Gone meanwhile.
    }
  }
  return Math.round(kb / 1024);
}
