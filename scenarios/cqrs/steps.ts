import { sleep } from '../../core/clock.ts';
import { groupNames } from '../../core/events.ts';
import type { Delivery, OutgoingMessage } from '../../drivers/driver.ts';
import {
  describe,
  handleCommand,
  logCommands,
  relayEvents,
  streamOf,
} from '../kit/event-sourcing/commands.ts';
import type { EventLog } from '../kit/event-sourcing/event-log.ts';
import { projectionStep } from '../kit/event-sourcing/projection-step.ts';
import type { ConsumerStep, ProducerStep } from '../scenario.ts';
import { decideOrder } from './orders.ts';
import type { Checkpointing, OrderLists } from './read-model.ts';

/** The cqrs scenario's store: the command model's event log and the query model. */
export interface CqrsStore {
  log: EventLog;
  lists: OrderLists;
}

/** How often a query client reads a list. */
const QUERY_INTERVAL_MS = 20;

/** A command (CreateOrder / CancelOrder) for one of `customers` customers: load, decide, append. */
export function handleOrderCommand(
  message: OutgoingMessage,
  step: ProducerStep<CqrsStore>,
  customers: number,
) {
  const stream = streamOf('customer', message.id, customers);
  return handleCommand(message.id, stream, step, logCommands(step.store.log), decideOrder(message.id));
}

/** The projection keeps "list my orders", writing its checkpoint where the variant says. */
export function projectOrders(d: Delivery, step: ConsumerStep<CqrsStore>): Promise<void> {
  return projectionStep(d, step, (event, hooks) =>
    step.store.lists.apply(step.group, event, step.variant as Checkpointing, {
      ...hooks,
      between: () => step.crashAt('between-writes'),
    }),
  );
}

/**
 * Beside each producer: its relay, and a query client that reads customers' lists from every
 * projection — one read at a time, recorded as `query` (the version shown), which the projection
 * family turns into staleness and monotonic-read checks. Once the relay is done the client goes on
 * until it has seen every list at the log's head (at most `CATCH_UP_MS`): reads during the
 * catch-up are the stalest.
 */
export async function relayAndQuery(step: ProducerStep<CqrsStore>): Promise<void> {
  let heads: Promise<Map<string, number>> | undefined;
  await Promise.all([
    relayEvents(step, step.workload.producers).finally(() => {
      heads = headsOf(step.store.log).catch(() => new Map());
    }),
    queryLists(step, () => heads),
  ]);
}

/** How long a query client waits, after its relay is done, for the lists to catch up. */
const CATCH_UP_MS = 5_000;

async function headsOf(log: EventLog): Promise<Map<string, number>> {
  const heads = new Map<string, number>();
  for (const [stream, events] of await log.streams())
    heads.set(stream, Math.max(0, ...events.map((e) => e.version)));
  return heads;
}

async function queryLists(
  step: ProducerStep<CqrsStore>,
  relayed: () => Promise<Map<string, number>> | undefined,
): Promise<void> {
  const groups = groupNames(step.workload.groups);
  const customers = Math.max(1, step.workload.keys);
  const behind = new Set<string>();
  let heads: Map<string, number> | undefined;
  let deadline = Number.POSITIVE_INFINITY;
  for (let k = step.index; step.alive() && !step.signal.aborted && Date.now() < deadline; k++) {
    const tail = relayed();
    if (tail && !heads) {
      heads = await tail;
      deadline = Date.now() + CATCH_UP_MS;
      for (const group of groups) for (const stream of heads.keys()) behind.add(`${group}\u0000${stream}`);
    }
    if (heads && behind.size === 0) return;
    const group = groups[k % groups.length]!;
    const stream = `customer-${Math.floor(k / groups.length) % customers}`;
    step.record({ type: 'invoke', f: 'query', group, stream });
    try {
      const list = await step.store.lists.list(group, stream);
      if (!step.alive()) return;
      step.record({ type: 'ok', f: 'query', group, stream, version: list.version });
      if (heads && list.version >= (heads.get(stream) ?? 0)) behind.delete(`${group}\u0000${stream}`);
    } catch (error) {
      if (!step.alive()) return;
      step.record({ type: 'fail', f: 'query', group, stream, error: describe(error) });
    }
    await sleep(QUERY_INTERVAL_MS, step.signal);
  }
}
