/**
 * `--provision auto|local|docker|external`: where a run gets its brokers. Every provisioner hands out
 * the same endpoint shapes (provision/endpoints.ts), so drivers never know which one is in use.
 *
 * auto, in order: native brokers of ours already running → local; a Docker engine answers → docker;
 * this OS can run them natively (Linux, macOS) → local; otherwise a clear message saying how to get
 * brokers.
 */
import { BrokerUnavailableError, UsageError } from '../core/errors.ts';
import { dockerEngineAnswers } from './docker/engine.ts';
import type { BrokerEndpoint, BrokerName, EndpointMap } from './endpoints.ts';
import { externalEndpoints, requireExternal } from './external.ts';

export const PROVISION_MODES = ['auto', 'local', 'docker', 'external'] as const;
export type ProvisionMode = (typeof PROVISION_MODES)[number];
export type ProvisionerKind = Exclude<ProvisionMode, 'auto'>;

export interface Provisioner {
  kind: ProvisionerKind;
  /** Why this one was chosen (for the run log). */
  reason: string;
  /** Makes the brokers available (idempotent) and returns their endpoints. */
  up(only: readonly BrokerName[]): Promise<EndpointMap>;
  /** Releases what `up` started, if this provisioner starts anything. */
  down(): Promise<void>;
  /** The endpoint of one broker (after `up`). */
  endpoint(broker: BrokerName): BrokerEndpoint;
  /** The release a broker runs, when this provisioner knows it (native brokers record theirs). */
  version(broker: BrokerName): Promise<string | undefined>;
}

export interface ProvisionConfig {
  /** `endpoints` from the config, for external. */
  endpoints?: unknown;
  env?: NodeJS.ProcessEnv;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

/** Seams for tests. */
export interface ProvisionProbes {
  dockerAnswers(env: NodeJS.ProcessEnv): Promise<boolean>;
  nativeRunning(env: NodeJS.ProcessEnv): Promise<boolean>;
  nativePossible(): boolean;
}

const defaultProbes: ProvisionProbes = {
  dockerAnswers: (env) => dockerEngineAnswers(env),
  nativeRunning: async (env) => {
    const { brokersStatus } = await import('./local/index.ts');
    const status = await brokersStatus({ env });
    return status.toxiproxy.up && Object.values(status.brokers).some((b) => b?.up);
  },
  nativePossible: () => process.platform === 'linux' || process.platform === 'darwin',
};

export function parseProvisionMode(value: string | undefined): ProvisionMode {
  const mode = (value ?? 'auto') as ProvisionMode;
  if (!PROVISION_MODES.includes(mode)) {
    throw new UsageError(`--provision ${value} is not a provisioning mode`, {
      hint: `Use one of ${PROVISION_MODES.join(', ')}.`,
    });
  }
  return mode;
}

/** Decides the provisioner kind for `mode` (auto resolved by probing), with the reason. */
export async function chooseProvisioner(
  mode: ProvisionMode,
  config: ProvisionConfig = {},
  probes: ProvisionProbes = defaultProbes,
): Promise<{ kind: ProvisionerKind; reason: string }> {
  const env = config.env ?? process.env;
  if (mode !== 'auto') return { kind: mode, reason: `--provision ${mode}` };
  if (await probes.nativeRunning(env))
    return { kind: 'local', reason: 'native brokers of ours are already running' };
  if (await probes.dockerAnswers(env)) return { kind: 'docker', reason: 'a Docker engine answers' };
  if (probes.nativePossible())
    return { kind: 'local', reason: 'no Docker engine answers; starting native brokers' };
  throw new BrokerUnavailableError(
    `no way to get brokers here: no Docker engine answers and native brokers need Linux or macOS (this is ${process.platform})`,
    {
      hint:
        'Start Docker (then brokerproof uses it), or run on Linux/macOS where `brokerproof brokers up` installs native brokers, ' +
        'or point brokerproof at running brokers with --provision external and `endpoints` in the config.',
    },
  );
}

/** The provisioner for `mode`. Nothing starts until `up`. */
export async function resolveProvisioner(
  mode: ProvisionMode,
  config: ProvisionConfig = {},
  probes: ProvisionProbes = defaultProbes,
): Promise<Provisioner> {
  const { kind, reason } = await chooseProvisioner(mode, config, probes);
  const env = config.env ?? process.env;
  switch (kind) {
    case 'external': {
      const map = externalEndpoints(config.endpoints);
      return {
        kind,
        reason,
        up: async (only) => {
          for (const broker of only) requireExternal(map, broker);
          return map;
        },
        down: async () => {},
        endpoint: (broker) => requireExternal(map, broker),
        version: async () => undefined,
      };
    }
    case 'local': {
      const local = await import('./local/index.ts');
      return {
        kind,
        reason,
        up: async (only) => {
          const result = await local.brokersUp({ only, env, log: config.log });
          const missing = result.unavailable[0];
          if (missing) {
            throw new BrokerUnavailableError(
              `${missing.broker} is not available on this machine: ${missing.message}`,
              {
                hint: missing.hint,
              },
            );
          }
          if (result.failures.length > 0) {
            const first = result.failures[0]!;
            throw new BrokerUnavailableError(
              `could not start ${result.failures.map((f) => f.broker).join(', ')}: ${first.message}`,
              { hint: first.hint ?? 'Run `brokerproof brokers up` to see each broker’s log.' },
            );
          }
          return local.endpointMap(only, { env });
        },
        // Native brokers are shared and cheap to keep: `brokerproof brokers down` stops them.
        down: async () => {},
        endpoint: (broker) => local.endpointsFor(broker, { env }) as BrokerEndpoint,
        version: async (broker) =>
          (await local.brokersStatus({ only: [broker], env })).brokers[broker]?.version ?? undefined,
      };
    }
    case 'docker': {
      const { DockerProvisioner } = await import('./docker/testcontainers.ts');
      const docker = new DockerProvisioner({ env, log: config.log });
      return {
        kind,
        reason,
        up: (only) => docker.up(only),
        down: () => docker.down(),
        endpoint: (broker) => docker.endpoint(broker),
        version: async () => undefined,
      };
    }
  }
}
