/**
 * What a config's custom setups and handler mean for a run: which driver, which setups are
 * selected, and which targets run the team's handler.
 */
import { existsSync } from 'node:fs';
import { ConfigError, UsageError } from '../core/errors.ts';
import type { StoreKind } from '../core/store.ts';
import type { Setup } from '../drivers/driver.ts';
import { applyOverride, type ClaimOverride, type Skipped, type Target } from '../runner/targets.ts';
import type { HandlerStoreConfig } from '../scenarios/kit/handler-store.ts';
import { handlerUnfit, withHandler } from '../scenarios/kit/your-handler.ts';
import type { Scenario } from '../scenarios/scenario.ts';
import type { CustomSetupConfig } from './custom-setups.ts';
import type { ResolvedConfig } from './schema.ts';

/** The driver custom setups extend, when the config names none; several drivers are ambiguous. */
export function driverOfCustomSetups(custom: readonly Setup[]): string | undefined {
  const drivers = [...new Set(custom.map((s) => s.extends?.split('/')[0]).filter((d) => d !== undefined))];
  if (drivers.length > 1) {
    throw new UsageError(
      `the custom setups extend setups of ${drivers.join(' and ')}: a run drives one driver`,
      {
        hint: `Pick one with --driver (${drivers.join(', ')}) or \`driver\` in the config.`,
      },
    );
  }
  return drivers[0];
}

/**
 * The setups a config selects for `driver`: the named ones, and the custom ones extending a setup
 * of that driver (those of other drivers wait for a run of theirs). Undefined: none selected.
 */
export function setupNames(
  setups: readonly (string | CustomSetupConfig)[] | undefined,
  driver: string,
): string[] | undefined {
  if (setups === undefined) return undefined;
  const names = setups.flatMap((s) =>
    typeof s === 'string' ? [s] : s.extends.startsWith(`${driver}/`) ? [s.name] : [],
  );
  return names.length ? names : undefined;
}

/**
 * The handler's store, checked before anything starts: it needs a handler to write to it, and the
 * PostgreSQL store (its effects are SQL); its schema file must exist.
 */
export function checkHandlerStore(
  config: Pick<ResolvedConfig, 'handler' | 'handlerStore'>,
  store: StoreKind,
): HandlerStoreConfig | undefined {
  const handlerStore = config.handlerStore;
  if (!handlerStore) return undefined;
  if (config.handler === undefined)
    throw new ConfigError(
      '`handlerStore` is set but `handler` is not: the store is where your handler writes',
      {
        hint: 'Add `handler: "./path/to/handler.ts"` to the config, or remove `handlerStore`.',
      },
    );
  if (store !== 'postgres')
    throw new ConfigError(`a handler with a store needs the PostgreSQL store, not ${store}`, {
      hint: 'Run with --store postgres (or `store: "postgres"` in the config); `brokerproof brokers up` starts it.',
    });
  if (handlerStore.schema !== undefined && !existsSync(handlerStore.schema))
    throw new ConfigError(`the handler store's schema ${handlerStore.schema} does not exist`, {
      hint: '`handlerStore.schema` is a SQL file, relative to the config file.',
    });
  return handlerStore;
}

/** Checks the handler module exists before anything starts. */
export function checkHandlerPath(module: string): string {
  if (!existsSync(module)) {
    throw new ConfigError(`handler module ${module} does not exist`, {
      hint: '`handler` in the config is a path relative to the config file, e.g. "./src/orders/handle-order.ts".',
    });
  }
  return module;
}

/**
 * Targets that run the team's handler in place of their scenario's simulated processing. A scenario
 * that runs application code of its own is skipped, or refused when it was asked for by name.
 */
export function withHandlerTargets(
  selected: { targets: Target[]; skipped: Skipped[] },
  module: string,
  requested: readonly (string | Scenario)[] | undefined,
  store?: HandlerStoreConfig,
  override: ClaimOverride = {},
): { targets: Target[]; skipped: Skipped[] } {
  const named = new Set((requested ?? []).map((s) => (typeof s === 'string' ? s : s.name)));
  const wrapped = new Map<Scenario, Scenario>();
  const targets: Target[] = [];
  const skipped = [...selected.skipped];
  for (const target of selected.targets) {
    const unfit = handlerUnfit(target.scenario);
    if (unfit) {
      if (named.has(target.scenario.name))
        throw new UsageError(`scenario ${target.scenario.name} cannot run your handler: ${unfit}`);
      skipped.push({
        driver: target.driver.name,
        setup: target.setup.name,
        scenario: target.scenario.name,
        reason: unfit,
      });
      continue;
    }
    let scenario = wrapped.get(target.scenario);
    if (!scenario) {
      scenario = withHandler(target.scenario, module, store);
      wrapped.set(target.scenario, scenario);
    }
    // With a store, the handler claims its effects (`--guarantee` still has the last word).
    const claim = store
      ? applyOverride({ ...target.claim, delivery: store.claim ?? 'effectively-once' }, override)
      : target.claim;
    targets.push({ ...target, scenario, claim });
  }
  return { targets, skipped };
}
