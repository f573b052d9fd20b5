import { UsageError } from '../core/errors.ts';
import type {
  Claim,
  ConcurrencyClaim,
  DeliveryGuarantee,
  OrderingScope,
  ProjectionClaim,
} from '../core/guarantee.ts';
import type { Driver, Setup } from '../drivers/driver.ts';
import { findScenario, SCENARIOS } from '../scenarios/catalogue.ts';
import type { Scenario } from '../scenarios/scenario.ts';

/** A scenario on one setup of one driver, with the claim it is checked against. */
export interface Target {
  driver: Driver;
  setup: Setup;
  scenario: Scenario;
  /** The scenario's variant (its first when it declares several; '' when it declares none). */
  variant: string;
  claim: Claim;
}

export interface Skipped {
  driver: string;
  setup: string;
  scenario: string;
  reason: string;
}

/** Replacements for the claim, from `--guarantee`, `--ordering`, `--max-attempts`. */
export interface ClaimOverride {
  delivery?: DeliveryGuarantee | undefined;
  ordering?: OrderingScope | undefined;
  maxAttempts?: number | undefined;
  /** What the projections of an event-sourcing or CQRS scenario claim. */
  projection?: ProjectionClaim | undefined;
  /** A bound on how stale a read of a read model may be. */
  maxStalenessMs?: number | undefined;
  /**
   * How an event store keeps a stream's writers apart (event-sourcing): also how many writers a
   * stream gets — one on `single-writer`, several on `optimistic`.
   */
  concurrency?: ConcurrencyClaim | undefined;
}

export function applyOverride(claim: Claim, override: ClaimOverride): Claim {
  return {
    ...claim,
    delivery: override.delivery ?? claim.delivery,
    ordering: override.ordering ?? claim.ordering,
    maxAttempts: override.maxAttempts ?? claim.maxAttempts,
    // Only where the scenario has projections: elsewhere there is nothing to hold them to.
    ...(claim.projection !== undefined &&
      override.projection !== undefined && { projection: override.projection }),
    ...(claim.projection !== undefined &&
      override.maxStalenessMs !== undefined && { maxStalenessMs: override.maxStalenessMs }),
    // Only where the scenario has an event store that claims one.
    ...(claim.concurrency !== undefined &&
      override.concurrency !== undefined && { concurrency: override.concurrency }),
  };
}

/**
 * Which scenarios run on which setups. Named setups and scenarios must fit each other (an explicit
 * request that cannot run is an error); otherwise each scenario runs on the first setup of the
 * driver it fits, or — with `--setup` — every fitting scenario runs on the named setups.
 */
export function selectTargets(
  driver: Driver,
  request: {
    setups?: readonly string[] | undefined;
    /** By name (from the catalogue), or scenario objects of the caller's own. */
    scenarios?: readonly (string | Scenario)[] | undefined;
    variant?: string | undefined;
  },
  override: ClaimOverride,
): { targets: Target[]; skipped: Skipped[] } {
  const setups = (request.setups ?? []).map((name) => {
    const setup = driver.setups.find((s) => s.name === name);
    if (!setup) {
      throw new UsageError(`driver ${driver.name} has no setup "${name}"`, {
        hint: `Setups of ${driver.name}: ${driver.setups.map((s) => s.name).join(', ')}.`,
      });
    }
    return setup;
  });
  const scenarios = (request.scenarios ?? []).map((named) => {
    if (typeof named !== 'string') return named;
    const name = named;
    const scenario = findScenario(name);
    if (!scenario) {
      throw new UsageError(`unknown scenario "${name}"`, {
        hint: `Scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}.`,
      });
    }
    return scenario;
  });
  if (request.variant !== undefined) {
    if (scenarios.length === 0)
      throw new UsageError('--variant needs --scenario: variants belong to a scenario', {
        hint: `Scenarios with variants: ${describeVariants(SCENARIOS)}.`,
      });
    for (const scenario of scenarios) {
      if (!scenario.variants?.some((v) => v.name === request.variant))
        throw new UsageError(`scenario ${scenario.name} has no variant "${request.variant}"`, {
          hint: scenario.variants?.length
            ? `Variants of ${scenario.name}: ${scenario.variants.map((v) => v.name).join(', ')}.`
            : `${scenario.name} has no variants. Scenarios with variants: ${describeVariants(SCENARIOS)}.`,
        });
    }
  }
  const variantOf = (scenario: Scenario) => request.variant ?? scenario.variants?.[0]?.name ?? '';
  const targets: Target[] = [];
  const skipped: Skipped[] = [];
  const add = (setup: Setup, scenario: Scenario) =>
    targets.push({
      driver,
      setup,
      scenario,
      variant: variantOf(scenario),
      claim: applyOverride(scenario.claim(claimedFor(setup, scenario), variantOf(scenario)), override),
    });
  const unfitFor = (scenario: Scenario, setup: Setup) =>
    setup.unavailable ?? scenario.unfit(setup, driver.capabilities, variantOf(scenario));
  const fittingSetups = (scenario: Scenario) =>
    driver.setups.filter((s) => !unfitFor(scenario, s)).map((s) => s.name);

  if (setups.length > 0) {
    for (const setup of setups) {
      for (const scenario of scenarios.length ? scenarios : SCENARIOS) {
        const unfit = unfitFor(scenario, setup);
        // Not named, a scenario skips setups that do not claim what it checks.
        const reason =
          unfit ??
          (!scenarios.length && scenario.prefers && !scenario.prefers(setup)
            ? `setup ${setup.name} does not claim what it checks (name the scenario to run it anyway)`
            : undefined);
        if (!reason) add(setup, scenario);
        else if (scenarios.length) {
          throw new UsageError(
            `scenario ${scenario.name} cannot run on ${driver.name}/${setup.name}: ${reason}`,
            {
              hint: `Setups it fits: ${fittingSetups(scenario).join(', ') || 'none'}.`,
            },
          );
        } else skipped.push({ driver: driver.name, setup: setup.name, scenario: scenario.name, reason });
      }
    }
  } else {
    for (const scenario of scenarios.length ? scenarios : SCENARIOS) {
      const fitting = driver.setups.filter((s) => !unfitFor(scenario, s));
      const preferred = scenario.prefers ? fitting.filter((s) => scenario.prefers!(s)) : fitting;
      // Asked for by name, a scenario runs on the first setup it fits even if none is preferred.
      const setup = preferred[0] ?? (scenarios.length ? fitting[0] : undefined);
      if (setup) add(setup, scenario);
      else if (scenarios.length) {
        throw new UsageError(`scenario ${scenario.name} fits no setup of driver ${driver.name}`);
      } else {
        const reason = fitting.length
          ? 'no setup claims what it checks (name a setup to run it anyway)'
          : 'fits no setup';
        skipped.push({ driver: driver.name, setup: '*', scenario: scenario.name, reason });
      }
    }
  }
  if (
    (override.projection !== undefined || override.maxStalenessMs !== undefined) &&
    targets.length > 0 &&
    targets.every((t) => t.claim.projection === undefined)
  ) {
    throw new UsageError(
      '--projection and --max-staleness claim something of projections, and no scenario run has one',
      {
        hint: 'Name a scenario whose claim has projections (docs/scenarios.md: event sourcing and CQRS).',
      },
    );
  }
  if (
    override.concurrency !== undefined &&
    targets.length > 0 &&
    targets.every((t) => t.claim.concurrency === undefined)
  ) {
    throw new UsageError('--concurrency claims something of an event store, and no scenario run has one', {
      hint: 'Name the event-sourcing or cqrs scenario (docs/scenarios.md: event sourcing and CQRS).',
    });
  }
  return { targets, skipped };
}

function describeVariants(scenarios: readonly Scenario[]): string {
  return scenarios
    .filter((s) => s.variants?.length)
    .map((s) => `${s.name} (${s.variants!.map((v) => v.name).join(', ')})`)
    .join('; ');
}

/**
 * A transactional setup claims exactly-once for what goes through its pipeline (consume, produce,
 * commit in one transaction); a scenario that does not forward gets the at-least-once underneath.
 */
function claimedFor(setup: Setup, scenario: Scenario): Setup {
  if (setup.pipeline === 'transactional' && setup.claim.delivery === 'exactly-once' && !scenario.pipeline) {
    return { ...setup, claim: { ...setup.claim, delivery: 'at-least-once' } };
  }
  return setup;
}
