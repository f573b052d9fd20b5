/**
 * A dedicated native broker for one run: its own state directory, its own ports (the native set
 * shifted by BROKERPROOF_DEDICATED_PORT_OFFSET, default 1000) and its own Toxiproxy, so the shared
 * brokers of `brokerproof brokers up` go on serving everything else untouched. Two things need one:
 *
 * - the `power-loss` fault: the broker's state directory lies on a lossyfs mount
 *   (native/lossyfs.ts), so that a power loss can drop every write it never fsynced;
 * - server-wide settings a setup needs (`BROKERPROOF_NATS_SYNC_INTERVAL` for JetStream's
 *   `sync_interval`), which the shared server must not get.
 *
 * Everything it starts — broker, Toxiproxy, lossyfs — is removed by `close()`, by a signal that
 * nobody else handles, and (synchronously) on process exit; a run killed with -9 leaves it for
 * the next start, which sweeps it away first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerUnavailableError, UsageError } from '../../core/errors.ts';
import {
  buildLossyFs,
  type LossyFsDropSummary,
  type LossyFsMetadata,
  type LossyFsMount,
  LossyFsUnavailableError,
  lossyFsUnavailableReason,
  mountLossyFs,
} from '../../native/lossyfs.ts';
import type { BrokerEndpoint, BrokerName } from '../endpoints.ts';
import { resolvePorts, shiftPorts } from '../ports.ts';
import { KAFKA_SERVER_PROPERTIES_VARIABLE } from './brokers/kafka.ts';
import { NATS_SYNC_INTERVAL_VARIABLE } from './brokers/nats.ts';
import { brokersDown, brokersUp, endpointsFor, type LocalOptions } from './index.ts';
import { resolvePaths } from './paths.ts';
import { killBroker, startBroker } from './process-control.ts';
import { findOwned, OWNER_VARIABLE, signalSafe, sleep, waitForExit } from './processes.ts';

/** The brokers whose data directory can be put on lossyfs (their whole state directory is). */
export const POWER_LOSS_BROKERS: readonly BrokerName[] = ['nats', 'kafka', 'rabbitmq', 'elasticmq'];
export const DEDICATED_PORT_OFFSET_VARIABLE = 'BROKERPROOF_DEDICATED_PORT_OFFSET';

export interface DedicatedOptions {
  broker: BrokerName;
  /** Put the broker's state directory on lossyfs (the `power-loss` fault needs it). */
  lossy: boolean;
  /** What makes name changes durable on the mount (default journal, as ext4). */
  metadata?: LossyFsMetadata;
  /** Server-wide settings, as the environment variables the broker's `prepare` reads. */
  serverEnv?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** One power loss: what was killed and what the file system dropped. */
export interface PowerLossOutcome {
  pid: number;
  killMs: number;
  dropMs: number;
  summary: LossyFsDropSummary;
}

/**
 * Server-wide settings a setup names in `options.server`, as the variables the broker's `prepare`
 * reads: NATS `sync_interval` (`always`, or a duration), Kafka broker properties (`log.flush.interval.messages`).
 */
export function serverEnvOf(
  broker: BrokerName,
  server: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  const kafka: string[] = [];
  for (const [key, value] of Object.entries(server)) {
    if (broker === 'nats' && key === 'sync_interval') env[NATS_SYNC_INTERVAL_VARIABLE] = String(value);
    else if (broker === 'kafka' && /^[a-z][a-z0-9.]*$/.test(key)) kafka.push(`${key}=${String(value)}`);
    else throw new UsageError(`server setting ${key} is not supported for ${broker}`);
  }
  if (kafka.length > 0) env[KAFKA_SERVER_PROPERTIES_VARIABLE] = kafka.join('\n');
  return env;
}

/**
 * Whether a run needs a dedicated broker, and which: always with `power-loss` (on lossyfs), and
 * when every selected setup asks for the same server settings. Setups that disagree cannot share
 * one server under power-loss (a usage error: run them one at a time); without it they run on the
 * shared broker, whose settings differ only in what a power loss would show (`note` says so).
 */
export function planDedicated(
  broker: BrokerName,
  faults: readonly string[],
  setups: readonly { name: string; options: Readonly<Record<string, unknown>> }[],
): { lossy: boolean; serverEnv: Record<string, string>; note?: string } | undefined {
  const lossy = faults.some((f) => f.split('@')[0] === 'power-loss');
  const keyed = setups.map((s) => {
    const server = (s.options.server ?? {}) as Record<string, unknown>;
    return { name: s.name, env: serverEnvOf(broker, server) };
  });
  const distinct = [...new Set(keyed.map((k) => JSON.stringify(k.env)))];
  if (distinct.length > 1) {
    const list = keyed.map((k) => `${k.name} ${JSON.stringify(k.env)}`).join(', ');
    if (lossy)
      throw new UsageError(
        `--faults power-loss: the selected setups need different ${broker} server settings (${list}), and one dedicated server runs per run`,
        { hint: 'Run these setups one at a time (--setup NAME).' },
      );
    return {
      lossy: false,
      serverEnv: {},
      note: `setups with server settings of their own (${list}) run on the shared ${broker}, whose settings differ from theirs only under power-loss`,
    };
  }
  const serverEnv = keyed[0]?.env ?? {};
  if (!lossy && Object.keys(serverEnv).length === 0) return undefined;
  return { lossy, serverEnv };
}

/**
 * What `run` does: starts the dedicated broker `planDedicated` asks for (undefined when none is
 * needed; a note is logged when setups with server settings share the shared broker). Only native
 * (`local`) provisioning can; others get a usage error.
 */
export async function dedicatedFor(
  broker: BrokerName,
  faults: readonly string[],
  setups: readonly { name: string; options: Readonly<Record<string, unknown>> }[],
  provisioner: string | undefined,
  log: (line: string) => void,
): Promise<DedicatedBroker | undefined> {
  const need = planDedicated(broker, faults, setups);
  if (need?.note) log(`brokerproof: ${need.note}`);
  if (!need || need.note) return undefined;
  if (provisioner !== 'local')
    throw new UsageError(
      `${need.lossy ? '--faults power-loss needs' : 'these setups need'} a dedicated native ${broker}, not ${provisioner ?? 'no'} provisioning`,
      { hint: 'Use --provision local (brokers of `brokerproof brokers up`).' },
    );
  return startDedicated({ broker, lossy: need.lossy, serverEnv: need.serverEnv, log });
}

const active = new Map<BrokerName, DedicatedBroker>();

/** The dedicated broker this process runs for `broker`, if any (the nemesis acts on it). */
export function dedicatedBroker(broker: BrokerName): DedicatedBroker | undefined {
  return active.get(broker);
}

export class DedicatedBroker {
  private closing: Promise<void> | undefined;

  constructor(
    readonly broker: BrokerName,
    /** Where process control finds it: `killBroker(broker, local)`. */
    readonly local: LocalOptions,
    readonly root: string,
    readonly mount: LossyFsMount | undefined,
    private readonly detach: () => void,
  ) {}

  get endpoint(): BrokerEndpoint {
    return endpointsFor(this.broker, this.local) as BrokerEndpoint;
  }

  /**
   * The power goes: kill -9 the broker, then drop every write it did not fsync. It stays down
   * until `powerOn`.
   */
  async powerOff(): Promise<PowerLossOutcome> {
    if (!this.mount) throw new Error(`the dedicated ${this.broker} does not run on lossyfs`);
    const t0 = Date.now();
    const { pid } = await killBroker(this.broker, this.local);
    const t1 = Date.now();
    const summary = await this.mount.drop();
    return { pid, killMs: t1 - t0, dropMs: Date.now() - t1, summary };
  }

  /** Starts the broker on what its disk holds; waits for a healthy round trip. */
  async powerOn(): Promise<{ pid: number; ms: number }> {
    const { pid, ms } = await startBroker(this.broker, this.local);
    return { pid, ms };
  }

  /** Stops the broker and its Toxiproxy, unmounts lossyfs and removes the state (idempotent). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      active.delete(this.broker);
      try {
        await brokersDown({ ...this.local, only: [this.broker], toxiproxy: true }).catch(() => {});
        await this.mount?.unmount().catch(() => {});
      } finally {
        this.detach();
        await sweep(this.root);
      }
    })();
    return this.closing;
  }
}

/** The dedicated instance's state root and its lossyfs owner marker (outside the root). */
function rootsOf(env: NodeJS.ProcessEnv): { root: string; lossyOwner: string } {
  const state = resolvePaths(env).state;
  return { root: join(state, 'dedicated'), lossyOwner: join(state, 'dedicated.lossyfs') };
}

/** lossyfs mounts below `root` (from /proc/mounts). */
function mountsUnder(root: string): string[] {
  try {
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
      .filter((target): target is string => !!target && target.startsWith(`${root}/`));
  } catch {
    return [];
  }
}

/**
 * Synchronously: SIGKILL every process of the instance, detach its mounts, SIGTERM lossyfs (it
 * exits once its mount is gone). Safe in an `exit` handler.
 */
function killSync(root: string, lossyOwner: string): void {
  for (const p of findOwned(root)) signalSafe(p.pid, 'SIGKILL');
  for (const target of mountsUnder(root)) spawnSync('umount', ['-l', target], { stdio: 'ignore' });
  for (const p of findOwned(lossyOwner)) signalSafe(p.pid, 'SIGTERM');
}

/** Removes whatever an instance left (this run's, or one killed with -9 earlier). */
async function sweep(root: string, lossyOwner = `${root}.lossyfs`): Promise<void> {
  const pids = [...findOwned(root), ...findOwned(lossyOwner)].map((p) => p.pid);
  killSync(root, lossyOwner);
  if (!(await waitForExit(pids, 10_000))) for (const pid of pids) signalSafe(pid, 'SIGKILL');
  await waitForExit(pids, 5_000);
  for (let i = 0; i < 20 && mountsUnder(root).length > 0; i++) await sleep(100);
  if (mountsUnder(root).length > 0)
    throw new BrokerUnavailableError(`could not unmount ${mountsUnder(root).join(', ')}`, {
      hint: 'Unmount it by hand (umount -l), then run again.',
    });
  rmSync(root, { recursive: true, force: true });
}

/**
 * Starts a dedicated `broker` (on lossyfs when `lossy`) and registers it for the nemesis. Refuses
 * with LossyFsUnavailableError (exit 2) when lossyfs cannot be mounted here.
 */
export async function startDedicated(options: DedicatedOptions): Promise<DedicatedBroker> {
  const { broker, log = () => {} } = options;
  if (active.has(broker)) throw new Error(`a dedicated ${broker} already runs in this process`);
  if (options.lossy) {
    if (!POWER_LOSS_BROKERS.includes(broker))
      throw new LossyFsUnavailableError(`power-loss is not supported for ${broker}`, {
        hint: `It works with ${POWER_LOSS_BROKERS.join(', ')}.`,
      });
    const reason = lossyFsUnavailableReason();
    if (reason)
      throw new LossyFsUnavailableError(`power-loss needs lossyfs, which cannot run here: ${reason}`, {
        hint: 'Run as root on Linux with /dev/fuse (in a container: --device /dev/fuse --cap-add SYS_ADMIN).',
      });
  }
  const baseEnv = options.env ?? process.env;
  const env = { ...baseEnv, ...options.serverEnv };
  const { root, lossyOwner } = rootsOf(baseEnv);
  const offset = Number(baseEnv[DEDICATED_PORT_OFFSET_VARIABLE] ?? 1000);
  const local: LocalOptions = {
    env,
    stateDir: root,
    ports: shiftPorts(resolvePorts(baseEnv), offset),
    log: (line) => log(`[dedicated] ${line}`),
  };
  await sweep(root, lossyOwner);

  // Cleanup on every way out: a signal nobody else handles, and process exit.
  const onExit = () => killSync(root, lossyOwner);
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return; // the CLI's handler aborts; close() follows
    killSync(root, lossyOwner);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const detach = () => {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };

  let mount: LossyFsMount | undefined;
  let instance: DedicatedBroker | undefined;
  try {
    if (options.lossy) {
      const binary = await buildLossyFs(resolvePaths(baseEnv).cache, { log });
      const backing = join(root, `${broker}.backing`);
      mkdirSync(backing, { recursive: true });
      mount = await mountLossyFs({
        binary,
        backing,
        mount: join(root, broker),
        metadata: options.metadata ?? 'journal',
        control: join(root, `${broker}.lossyfs.sock`),
        env: { [OWNER_VARIABLE]: join(lossyOwner, broker) },
        onLog: (line) => log(`[lossyfs] ${line}`),
      });
    }
    instance = new DedicatedBroker(broker, local, root, mount, detach);
    log(
      `starting a dedicated ${broker}${mount ? ` on lossyfs (${mount.metadata} metadata, ${mount.mount})` : ''} on ports shifted by ${offset}`,
    );
    const result = await brokersUp({ ...local, only: [broker] });
    const failure = [...result.failures, ...result.unavailable][0];
    if (failure)
      throw new BrokerUnavailableError(`the dedicated ${failure.broker} did not start: ${failure.message}`, {
        hint: failure.hint,
      });
    // What the broker wrote to get going is on disk: the machine has been up a while.
    if (mount) await mount.sync();
    active.set(broker, instance);
    return instance;
  } catch (error) {
    if (instance) await instance.close().catch(() => {});
    else {
      await mount?.unmount().catch(() => {});
      detach();
      await sweep(root, lossyOwner).catch(() => {});
    }
    throw error;
  }
}

/** Whether a dedicated instance's leftovers exist (for `brokers status`-like checks and tests). */
export function dedicatedLeftovers(env: NodeJS.ProcessEnv = process.env): string[] {
  const { root, lossyOwner } = rootsOf(env);
  return [
    ...findOwned(root).map((p) => `pid ${p.pid} (${p.owner})`),
    ...findOwned(lossyOwner).map((p) => `lossyfs pid ${p.pid}`),
    ...mountsUnder(root).map((m) => `mount ${m}`),
    ...(existsSync(root) ? [root] : []),
  ];
}
