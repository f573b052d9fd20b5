/**
 * power-loss in the comparison matrix: the fault needs the broker on a lossy file system, in an
 * instance of its own (provision/local/dedicated.ts), and one instance serves only setups that
 * agree on the server settings they need (JetStream's `sync_interval`, Kafka's flush settings).
 * So a fault set with power-loss runs in batches: per group of setups with the same server
 * settings, a dedicated broker, a driver on it, that group's targets, then the instance is removed.
 */
import { describeError } from '../../core/errors.ts';
import type { Driver } from '../../drivers/driver.ts';
import { brokerFor, createDriver, type DriverSettings } from '../../drivers/index.ts';
import { POWER_LOSS_BROKERS, serverEnvOf, startDedicated } from '../../provision/local/dedicated.ts';
import type { Provisioner } from '../../provision/provisioner.ts';
import type { Target } from '../../runner/targets.ts';

/** One run of the matrix: its targets, on the driver they were selected from. */
export interface Batch {
  targets: Target[];
  /** Removes what the batch started (a dedicated broker and its driver); absent for the shared one. */
  close?: () => Promise<void>;
}

export const needsDedicated = (faults: readonly string[]) =>
  faults.some((f) => f.split('@')[0] === 'power-loss');

/** Why a driver's power-loss cells cannot run here (undefined: they can). */
export function dedicatedUnavailable(
  name: string,
  settings: DriverSettings,
  provisioner: Provisioner | undefined,
): string | undefined {
  const broker = brokerFor(name, settings);
  if (!broker) return `power-loss cannot reach the ${name} driver's broker (it has no process to cut)`;
  if (!POWER_LOSS_BROKERS.includes(broker))
    return `power-loss is not supported for ${broker} (it works with ${POWER_LOSS_BROKERS.join(', ')})`;
  if (provisioner?.kind !== 'local')
    return `power-loss needs a dedicated native ${broker}, not ${provisioner?.kind ?? 'no'} provisioning`;
  return undefined;
}

/** Groups `targets` by the server settings their setups need; each group gets its own broker. */
export function groupByServer(name: string, settings: DriverSettings, targets: readonly Target[]) {
  const broker = brokerFor(name, settings)!;
  const groups = new Map<string, { serverEnv: Record<string, string>; targets: Target[] }>();
  for (const t of targets) {
    const serverEnv = serverEnvOf(broker, (t.setup.options.server ?? {}) as Record<string, unknown>);
    const key = JSON.stringify(serverEnv);
    const group = groups.get(key) ?? { serverEnv, targets: [] };
    group.targets.push(t);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * Starts a dedicated broker for one group and a driver on it; the group's targets are selected
 * again from that driver (same setups and scenarios), so its cases talk to the instance.
 */
export async function dedicatedBatch(
  name: string,
  settings: DriverSettings,
  group: { serverEnv: Record<string, string>; targets: Target[] },
  log: (line: string) => void,
): Promise<Batch> {
  const broker = brokerFor(name, settings)!;
  const instance = await startDedicated({ broker, lossy: true, serverEnv: group.serverEnv, log });
  let driver: Driver | undefined;
  try {
    driver = await createDriver(name, settings, { endpoint: instance.endpoint, native: true });
    const rebound = driver;
    const targets = group.targets.map((t) => {
      const setup = rebound.setups.find((s) => s.name === t.setup.name) ?? t.setup;
      return { ...t, driver: rebound, setup };
    });
    return {
      targets,
      close: async () => {
        await rebound.close().catch((error) => log(`closing the ${name} driver: ${describeError(error)}`));
        await instance.close();
      },
    };
  } catch (error) {
    await driver?.close().catch(() => {});
    await instance.close();
    throw error;
  }
}
