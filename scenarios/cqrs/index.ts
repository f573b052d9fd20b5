import type { Claim, ProjectionClaim } from '../../core/guarantee.ts';
import { DEFAULT_SHAPE, workloadArbitrary } from '../kit/arbitraries.ts';
import { eventSourcingChecker } from '../kit/event-sourcing/checker.ts';
import { openEventLog } from '../kit/event-sourcing/event-log.ts';
import { projectionUnfit } from '../kit/event-sourcing/projection-step.ts';
import type { Scenario, Variant } from '../scenario.ts';
import { digestOfOrders, replayOrders } from './orders.ts';
import { openOrderLists } from './read-model.ts';
import { type CqrsStore, handleOrderCommand, projectOrders, relayAndQuery } from './steps.ts';

const VARIANTS: readonly (Variant & { projection: ProjectionClaim })[] = [
  {
    name: 'checkpoint-in-transaction',
    description:
      'The checkpoint is written in the transaction that changes the read model: each event changes it exactly once.',
    projection: 'exactly-once',
  },
  {
    name: 'checkpoint-after',
    description:
      'The checkpoint is written after the read-model change commits: a crash between them applies the event again (at-least-once; the list converges because its writes are upserts).',
    projection: 'at-least-once',
  },
  {
    name: 'checkpoint-before',
    description:
      'The checkpoint is written before the read-model change: a crash between them skips the event for ever. Claims what a team would assume (at-least-once): the variant exists to show the loss.',
    projection: 'at-least-once',
  },
];

const state = (fields: Record<string, unknown>) => ({
  p: 'harness',
  type: 'ok' as const,
  f: 'state' as const,
  ...fields,
});

/**
 * CQRS: a command model handles CreateOrder and CancelOrder (cancel only an open order; the rest is
 * rejected) by appending to the customer's stream with the version it read; an outbox relay puts
 * the events on the broker; a projection keeps the query model "list my orders" per customer with
 * a checkpoint placed as the variant says; query clients read the lists during the load. After the
 * drain the log is replayed and the lists read back, and the event-sourcing family judges what the
 * projection lost, repeated or got wrong, how stale the reads were and how long the lists took to
 * catch up after each fault. `keys` of the workload are the customers.
 */
export const cqrs: Scenario<CqrsStore> = {
  name: 'cqrs',
  description:
    'CreateOrder / CancelOrder commands append order events; a projection keeps "list my orders" with its checkpoint in, after or before the read-model transaction; query clients measure staleness.',
  variants: VARIANTS,
  crashPoints: ['before-process', 'between-writes', 'after-process', 'after-ack'],
  producing: {
    window: 4,
    retries: 5,
    produce: (message, step) => handleOrderCommand(message, step, Math.max(1, step.workload.keys)),
    background: relayAndQuery,
    crashPoints: ['after-append', 'after-publish'],
    // A command dies with its handler; what it appended is in the log, and the relay publishes it.
    resendAfterCrash: false,
  },
  unfit: (setup) => projectionUnfit(setup),
  claim: (setup, variant): Claim => ({
    ...setup.claim,
    delivery: 'at-least-once',
    maxAttempts: undefined,
    ordering: 'none',
    concurrency: 'optimistic',
    projection: (VARIANTS.find((v) => v.name === variant) ?? VARIANTS[0]!).projection,
  }),
  workload: (options) =>
    workloadArbitrary(
      { ...DEFAULT_SHAPE, messages: { min: 1, max: 600 }, keys: { min: 1, max: 12 } },
      options,
    ),
  consume: projectOrders,
  // Applies of one stream by different consumers are judged in order: one recorder keeps it.
  consumersInline: true,
  store: {
    open: async (access, { create }) => ({
      log: await openEventLog(access, create),
      lists: await openOrderLists(access, create),
    }),
    readBack: async (store, groups) => {
      const streams = await store.log.streams();
      const events = [state({ group: 'replay', streams: streams.size })];
      for (const [stream, list] of streams) {
        const replayed = replayOrders(list);
        events.push(
          state({
            group: 'replay',
            stream,
            version: replayed.version,
            digest: digestOfOrders(stream, replayed),
          }),
        );
      }
      for (const group of groups) {
        const lists = await store.lists.lists(group);
        events.push(state({ group, streams: lists.length }));
        for (const { stream, list } of lists)
          events.push(state({ group, stream, version: list.version, digest: digestOfOrders(stream, list) }));
      }
      return events;
    },
  },
  checker: eventSourcingChecker,
};
