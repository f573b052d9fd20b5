/**
 * What a run is asked to do, resolved from flags over the config over the default suite: the
 * driver, setups, scenarios, claims, faults and sizes `executeRun` (run.ts) works from.
 */
import { resolve } from 'node:path';
import { customEntries, resolveCustomSetups } from '../../config/custom-setups.ts';
import {
  checkHandlerPath,
  checkHandlerStore,
  driverOfCustomSetups,
  setupNames,
} from '../../config/run-inputs.ts';
import type { ResolvedConfig } from '../../config/schema.ts';
import { UsageError } from '../../core/errors.ts';
import type {
  ConcurrencyClaim,
  DeliveryGuarantee,
  OrderingScope,
  ProjectionClaim,
} from '../../core/guarantee.ts';
import type { StoreKind } from '../../core/store.ts';
import type { Setup } from '../../drivers/driver.ts';
import type { DriverSettings } from '../../drivers/index.ts';
import { FAULT_KINDS, isFaultSpec } from '../../faults/fault-plan.ts';
import { type ProvisionMode, parseProvisionMode } from '../../provision/provisioner.ts';
import { defaultStoreKind } from '../../runner/case-store.ts';
import type { CaseTimeouts, Isolation } from '../../runner/run-case.ts';
import type { ClaimOverride } from '../../runner/targets.ts';
import type { HandlerStoreConfig } from '../../scenarios/kit/handler-store.ts';
import { resolveHandlerPath } from '../../scenarios/kit/your-handler.ts';
import { DEFAULT_SUITE } from '../../suites/default.ts';

/** Long enough to shrink a memory case a great deal, and a real-broker case by a few steps. */
export const DEFAULT_SHRINK_SECONDS = 60;

export interface RunFlags {
  config?: string;
  driver?: string;
  setup?: string[];
  scenario?: string[];
  guarantee?: DeliveryGuarantee;
  ordering?: OrderingScope;
  maxAttempts?: number;
  projection?: ProjectionClaim;
  maxStaleness?: number;
  concurrency?: ConcurrencyClaim;
  faults?: string[];
  runs?: number;
  seed?: number;
  messages?: number;
  out?: string;
  json?: boolean;
  progress?: boolean;
  isolation?: Isolation;
  provision?: string;
  shrinkTime?: number;
  variant?: string;
  store?: StoreKind;
  cluster?: number | boolean;
  soak?: number;
}

/** Everything a run needs, resolved from flags over config over the default suite. */
export interface RunPlan {
  driver: string;
  settings: DriverSettings;
  setups: string[] | undefined;
  scenarios: string[] | undefined;
  variant: string | undefined;
  /** Where scenarios with a store keep their state (default: postgres with a real broker, memory with the memory driver). */
  store: StoreKind;
  override: ClaimOverride;
  faults: string[];
  runs: number;
  seed: number;
  messages: number | undefined;
  outDir: string;
  timeouts: Partial<CaseTimeouts> | undefined;
  isolation: Isolation | undefined;
  provision: ProvisionMode;
  /** Seconds to shrink the first violation (0: no shrinking, every case runs). */
  shrinkSeconds: number;
  /** `endpoints` from the config, for `--provision external`. */
  endpoints: unknown;
  /** Custom setups from the config, resolved (config/custom-setups.ts). */
  customSetups: Setup[];
  /** Your handler's module (absolute), run in place of the scenarios' simulated processing. */
  handler: string | undefined;
  /** Your handler's store (`handlerStore` in the config): its effects are judged from it. */
  handlerStore: HandlerStoreConfig | undefined;
  /** `--cluster [N]`: run on the broker's cluster of `brokers up --cluster N`. */
  cluster?: number | boolean | undefined;
  /** `--soak <minutes>`: each case loads this long, with faults drawn throughout (runner/soak.ts). */
  soakMinutes?: number | undefined;
}

export function resolveRunPlan(flags: RunFlags, config: ResolvedConfig): RunPlan {
  // Consumers crash unless the run says otherwise: a claim tested without faults says little.
  const faults = (flags.faults ?? config.faults ?? DEFAULT_SUITE.faults).filter((f) => f !== 'none');
  for (const fault of faults) {
    if (!isFaultSpec(fault)) {
      throw new UsageError(`unknown fault "${fault}"`, {
        hint: `Faults: ${FAULT_KINDS.join(', ')} (or "none"); a network fault may name whose link it cuts: partition@consumers, latency@producers, partition@consumer (one drawn consumer).`,
      });
    }
  }
  const maxAttempts = flags.maxAttempts ?? config.maxAttempts;
  const guarantee = flags.guarantee ?? config.guarantee;
  const ordering = flags.ordering ?? config.ordering;
  const customSetups = resolveCustomSetups(customEntries(config.setups));
  const driver = flags.driver ?? config.driver ?? driverOfCustomSetups(customSetups) ?? DEFAULT_SUITE.driver;
  return {
    driver,
    customSetups,
    handler:
      config.handler === undefined
        ? undefined
        : checkHandlerPath(resolveHandlerPath(config.handler, process.cwd())),
    handlerStore: checkHandlerStore(config, flags.store ?? config.store ?? defaultStoreKind(driver)),
    variant: flags.variant ?? config.variant,
    store: flags.store ?? config.store ?? defaultStoreKind(driver),
    settings: (config.drivers ?? {}) as DriverSettings,
    setups: flags.setup ?? setupNames(config.setups, driver),
    scenarios: flags.scenario ?? config.scenarios,
    override: {
      ...(guarantee && { delivery: guarantee }),
      ...(ordering && { ordering }),
      ...(maxAttempts !== undefined && { maxAttempts }),
      ...(flags.projection && { projection: flags.projection }),
      ...(flags.maxStaleness !== undefined && { maxStalenessMs: flags.maxStaleness }),
      ...(flags.concurrency && { concurrency: flags.concurrency }),
    },
    faults,
    runs: flags.runs ?? config.runs ?? DEFAULT_SUITE.runs,
    seed: flags.seed ?? config.seed ?? Math.floor(Math.random() * 0x7fffffff),
    messages: flags.messages ?? config.messages,
    outDir: resolve(flags.out ?? config.out ?? DEFAULT_SUITE.out),
    timeouts: config.timeouts,
    isolation: flags.isolation ?? config.isolation,
    provision: parseProvisionMode(flags.provision ?? config.provision),
    shrinkSeconds: flags.shrinkTime ?? config.shrinkTime ?? DEFAULT_SHRINK_SECONDS,
    endpoints: config.endpoints,
    cluster: flags.cluster,
    soakMinutes: flags.soak,
  };
}
