/**
 * Typed identities for the library API: they check a definition against its type where it is
 * written, and return it unchanged (nothing is registered anywhere).
 */
import type { MessageHandler } from '../scenarios/kit/your-handler.ts';
import type { Scenario } from '../scenarios/scenario.ts';
import type { CustomSetupConfig } from './custom-setups.ts';

export type { CustomSetupConfig } from './custom-setups.ts';

/** A custom setup for the config's `setups`: `defineSetup({ name, extends: 'rabbitmq/quorum', options, claim })`. */
export function defineSetup(setup: CustomSetupConfig): CustomSetupConfig {
  return setup;
}

/** A scenario of your own (docs/scenarios.md); pass it to `selectTargets` to run it. */
export function defineScenario<Store = unknown>(scenario: Scenario<Store>): Scenario<Store> {
  return scenario;
}

/** Your handler under test, typed: `export default defineHandler(async (message, context) => { … })`. */
export function defineHandler(handler: MessageHandler): MessageHandler {
  return handler;
}
