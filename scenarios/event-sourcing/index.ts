import { DEFAULT_SHAPE, workloadArbitrary } from '../kit/arbitraries.ts';
import { brokerEventLog } from '../kit/event-sourcing/broker-log.ts';
import { eventSourcingChecker } from '../kit/event-sourcing/checker.ts';
import { relayEvents } from '../kit/event-sourcing/commands.ts';
import { openEventLog } from '../kit/event-sourcing/event-log.ts';
import { projectionUnfit } from '../kit/event-sourcing/projection-step.ts';
import type { Scenario } from '../scenario.ts';
import { applyEvent, digestOf, openProfiles, type Profile } from './profiles.ts';
import { BROKER_LOG, handleUserCommand, project, type UserStore } from './steps.ts';

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
export const eventSourcing: Scenario<UserStore> = {
  name: 'event-sourcing',
  description:
    'Concurrent command handlers append user events with the version they read; a projection keeps each profile, fed through an outbox relay.',
  variants: [
    {
      name: 'relay',
      description:
        'The events in the store (--store memory|postgres), appended with a unique (stream, version); an outbox relay publishes them onto the broker.',
    },
    {
      name: BROKER_LOG,
      description:
        'The broker is the event store: a stream is a key (a JetStream subject), an append a publish expecting the position read (Nats-Expected-Last-Subject-Sequence); on a single-writer log (Kafka) one writer a stream, keeping its version itself; no relay.',
    },
  ],
  crashPoints: ['before-process', 'after-process', 'after-ack'],
  producing: {
    window: 4,
    retries: 5,
    produce: (message, step) => handleUserCommand(message, step, Math.max(1, step.workload.keys)),
    // The broker log has nothing to relay: an append is the publish.
    background: async (step) => {
      if (step.variant !== BROKER_LOG) await relayEvents(step, step.workload.producers);
    },
    crashPoints: ['after-append', 'after-publish'],
    // A command dies with its handler; what it appended is in the store, and the relay publishes it.
    resendAfterCrash: false,
  },
  unfit: (setup, _capabilities, variant) => {
    const unfit = projectionUnfit(setup);
    if (unfit) return unfit;
    if (variant === BROKER_LOG && setup.eventLog === undefined)
      return `setup ${setup.name} cannot be an event store (no per-key read-back with positions)`;
    return undefined;
  },
  claim: (setup, variant) => ({
    ...setup.claim,
    delivery: 'at-least-once',
    maxAttempts: undefined,
    ordering: 'none',
    concurrency: variant === BROKER_LOG ? setup.eventLog : 'optimistic',
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
    open: async (access, { create, variant }) => {
      const streams = new Set<string>();
      const log =
        variant === BROKER_LOG
          ? brokerEventLog(access.readKey, () => [...streams].sort())
          : await openEventLog(access, create);
      return { log, profiles: await openProfiles(access, create), streams };
    },
    readBack: async (store, groups) => {
      const streams = await store.log.streams();
      const events = [state({ group: 'replay', streams: streams.size })];
      for (const [stream, list] of streams) {
        let profile: Profile | undefined;
        for (const e of list) profile = applyEvent(profile, e);
        if (profile)
          events.push(
            state({ group: 'replay', stream, version: profile.version, digest: digestOf(stream, profile) }),
          );
      }
      for (const group of groups) {
        const profiles = await store.profiles.profiles(group);
        events.push(state({ group, streams: profiles.length }));
        for (const p of profiles)
          events.push(state({ group, stream: p.stream, version: p.version, digest: p.digest }));
      }
      return events;
    },
  },
  checker: eventSourcingChecker,
};
