/**
 * Custom setups: a team's own configuration of a broker, described in the config as a built-in
 * setup it `extends` plus broker-native options. Each driver brings a `SetupCustomizer` (in its
 * setups.ts): the zod schema of the options a team may set, and how they change the base setup —
 * what the driver then builds, and which claims the result can still express. The config module
 * (config/custom-setups.ts) composes them; nothing here is filled by side effects.
 */
import type { z } from 'zod';
import type { DeliveryGuarantee, OrderingScope } from '../core/guarantee.ts';
import type { AckMode, Setup } from './driver.ts';

/** What options did to a base setup: the options the driver builds from, and what the result can claim. */
export interface CustomizedSetup {
  /** The driver's setup options with the team's applied (what `createTopology` reads). */
  options: Record<string, unknown>;
  /** The strongest delivery guarantee the configuration gives (default: the base's). */
  delivery?: DeliveryGuarantee | undefined;
  ackMode?: AckMode | undefined;
  orderingScopes?: readonly OrderingScope[] | undefined;
  /** Overrides of the base's `deliversInBatches` and `pipeline` (when the options change how it consumes). */
  deliversInBatches?: boolean | undefined;
  pipeline?: Setup['pipeline'];
  /** The configuration dead-letters poison messages (so a claim of max attempts can be expressed). */
  deadLetters: boolean;
  /** Deliveries before dead-lettering, when the options fix them (RabbitMQ `x-delivery-limit` + 1). */
  fixedMaxAttempts?: number | undefined;
  /** Where an option fixes the attempts, its key path (for errors): `queueArguments.x-delivery-limit`. */
  fixedMaxAttemptsKey?: string | undefined;
  /** What the options changed, in words, appended to the base setup's description. */
  notes: string[];
}

/**
 * A problem with one option of a custom setup: `key` is its path under `options` (or `claim`), so
 * the config error can name `setups.0.options.queueArguments.x-delivery-limit`.
 */
export class SetupOptionProblem {
  constructor(
    readonly key: string,
    readonly message: string,
  ) {}
}

export interface SetupCustomizer<Options = Record<string, unknown>> {
  /** Strict zod schema of the options (unknown keys rejected, each with its path). */
  readonly schema: z.ZodType<Options>;
  /**
   * Applies validated options to a base setup, or returns the problems (contradictory options:
   * an argument that needs another, an option the base cannot take).
   */
  apply(base: Setup, options: Options): CustomizedSetup | SetupOptionProblem[];
}

/** Typed identity for a driver's customizer. */
export function defineCustomizer<O>(customizer: SetupCustomizer<O>): SetupCustomizer<O> {
  return customizer;
}

/** The base's dead-letter facts, for customizers whose options leave dead-lettering as it was. */
export function baseDeadLetters(base: Setup): Pick<CustomizedSetup, 'deadLetters'> {
  return { deadLetters: base.claim.maxAttempts !== undefined };
}

/** Drops undefined entries (JSON-clean options for descriptors and reports). */
export function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
