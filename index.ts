/**
 * brokerproof as a library: define configs, run the checker on histories, drive scenarios from code.
 */
export { Checker, type CheckOptions, type CheckResult, check } from './checker/check.ts';
export { type BrokerproofConfig, defineConfig } from './config/schema.ts';
export type { HistoryEvent, HistoryMeta } from './core/events.ts';
export type { Claim, DeliveryGuarantee, OrderingScope } from './core/guarantee.ts';
export { readHistory, readHistoryBatches } from './core/history-reader.ts';
export { History, HistoryWriter } from './core/history-writer.ts';
export type { CaseTopology, Consumer, Delivery, Driver, Producer, Setup } from './drivers/driver.ts';
export type { Reporter } from './reports/reporter.ts';
export { checkHistoryFile } from './runner/check-history-file.ts';
