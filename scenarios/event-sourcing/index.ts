import { DEFAULT_SHAPE, workloadArbitrary } from '../kit/arbitraries.ts';
import type { Scenario } from '../scenario.ts';
import { eventSourcingChecker } from './checker.ts';
import { digestOf, type EventStore, openEventStore } from './event-store.ts';
import { handleCommand, project, relayEvents } from './steps.ts';

const state = (fields: Record<string, unknown>) => ({
  p: 'harness',
  type: 'ok' as const,
  f: 'state' as const,
  ...fields,
});

/**
 * Event sourcing: command handlers load a user's stream, decide, and append with the version they
 * read (optimistic concurrency); events reach a projection — the current profile per user — through
 * an outbox relay onto the broker. After the drain the store is replayed (`state` of `replay`) and
 * the read model read back, and the event-sourcing family judges forks, ignored expectations, and
 * what the projection lost, repeated, reordered or got wrong. `keys` of the workload are the users.
 */
export const eventSourcing: Scenario<EventStore> = {
  name: 'event-sourcing',
  description:
    'Concurrent command handlers append user events with the version they read; a projection keeps each profile, fed through an outbox relay.',
  crashPoints: ['before-process', 'after-process', 'after-ack'],
  producing: {
    window: 4,
    retries: 5,
    produce: (message, step) => handleCommand(message, step, Math.max(1, step.workload.keys)),
    background: (step) => relayEvents(step, step.workload.producers),
    crashPoints: ['after-append', 'after-publish'],
    // A command dies with its handler; what it appended is in the store, and the relay publishes it.
    resendAfterCrash: false,
  },
  unfit: (setup) =>
    setup.ackMode === 'manual' && setup.claim.delivery !== 'at-most-once'
      ? undefined
      : `setup ${setup.name} does not redeliver unacknowledged messages`,
  claim: (setup) => ({
    ...setup.claim,
    delivery: 'at-least-once',
    maxAttempts: undefined,
    ordering: 'none',
    concurrency: 'optimistic',
    projection: 'idempotent-by-version',
  }),
  workload: (options) =>
    workloadArbitrary(
      { ...DEFAULT_SHAPE, messages: { min: 1, max: 600 }, keys: { min: 1, max: 12 } },
      options,
    ),
  consume: project,
  // Applies of one stream by different consumers are judged in order: one recorder keeps it.
  consumersInline: true,
  store: {
    open: (access, { create }) => openEventStore(access, create),
    readBack: async (store, groups) => {
      const streams = await store.streams();
      const events = [state({ group: 'replay', streams: streams.size })];
      for (const [stream, list] of streams) {
        let profile: { version: number; email: string } | undefined;
        for (const e of list) profile = { version: e.version, email: e.email };
        if (profile)
          events.push(
            state({ group: 'replay', stream, version: profile.version, digest: digestOf(stream, profile) }),
          );
      }
      for (const group of groups) {
        const profiles = await store.profiles(group);
        events.push(state({ group, streams: profiles.length }));
        for (const p of profiles)
          events.push(state({ group, stream: p.stream, version: p.version, digest: p.digest }));
      }
      return events;
    },
  },
  checker: eventSourcingChecker,
};
