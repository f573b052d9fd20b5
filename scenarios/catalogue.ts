import { atMostOnce } from './at-most-once.ts';
import { exactlyOnce } from './exactly-once.ts';
import { fanOut } from './fan-out.ts';
import { idempotentConsumer } from './idempotent-consumer.ts';
import { ordered } from './ordered.ts';
import { retryDlq } from './retry-dlq.ts';
import type { Scenario } from './scenario.ts';
import { workQueue } from './work-queue.ts';

/** Every scenario, in the order suites run them. */
export const SCENARIOS: readonly Scenario[] = [
  workQueue,
  fanOut,
  ordered,
  retryDlq,
  idempotentConsumer,
  atMostOnce,
  exactlyOnce,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
