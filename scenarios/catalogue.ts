import { atMostOnce } from './at-most-once/index.ts';
import { cqrs } from './cqrs/index.ts';
import { dualWrite } from './dual-write/index.ts';
import { eventSourcing } from './event-sourcing/index.ts';
import { exactlyOnce } from './exactly-once/index.ts';
import { fanOut } from './fan-out/index.ts';
import { idempotentConsumer } from './idempotent-consumer/index.ts';
import { ordered } from './ordered/index.ts';
import { outbox } from './outbox/index.ts';
import { retryDlq } from './retry-dlq/index.ts';
import type { Scenario } from './scenario.ts';
import { workQueue } from './work-queue/index.ts';

/** Every scenario, in the order suites run them. */
export const SCENARIOS: readonly Scenario[] = [
  workQueue,
  fanOut,
  ordered,
  retryDlq,
  idempotentConsumer,
  atMostOnce,
  exactlyOnce,
  outbox,
  dualWrite,
  eventSourcing,
  cqrs,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
