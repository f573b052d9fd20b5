/**
 * brokerproof as a library: define configs, custom setups and scenarios, run a conformance suite
 * from code, and run the checker on histories. `brokerproof/vitest` declares a suite as vitest tests.
 */
export {
  type ConfigSource,
  type PlannedCases,
  planCases,
  type RunApiOptions,
  type RunOutcome,
  run,
} from './api/run.ts';
export { Checker, type CheckOptions, type CheckResult, check, type Validity } from './checker/check.ts';
export { type CustomSetupConfig, defineHandler, defineScenario, defineSetup } from './config/define.ts';
export { type BrokerproofConfig, defineConfig } from './config/schema.ts';
export { BrokerproofError, ConfigError, UsageError } from './core/errors.ts';
export type { HistoryEvent, HistoryMeta } from './core/events.ts';
export type { Claim, DeliveryGuarantee, OrderingScope } from './core/guarantee.ts';
export { readHistory, readHistoryBatches } from './core/history-reader.ts';
export { History, HistoryWriter } from './core/history-writer.ts';
export type { CaseTopology, Consumer, Delivery, Driver, Producer, Setup } from './drivers/driver.ts';
export type { Reporter } from './reports/reporter.ts';
export type { CaseResult } from './runner/case.ts';
export { checkHistoryFile } from './runner/check-history-file.ts';
export type { RunResult } from './runner/run-result.ts';
export { selectTargets } from './runner/targets.ts';
export type { HandlerDb, HandlerStoreConfig } from './scenarios/kit/handler-store.ts';
export { standardStep } from './scenarios/kit/standard-step.ts';
export type {
  HandlerContext,
  HandlerMessage,
  MessageHandler,
} from './scenarios/kit/your-handler.ts';
export type { ConsumerStep, Scenario, Workload } from './scenarios/scenario.ts';
