import type { Delivery, OutgoingMessage } from '../../drivers/driver.ts';
import { brokerCommands } from '../kit/event-sourcing/broker-log.ts';
import { type Decision, handleCommand, logCommands, streamOf } from '../kit/event-sourcing/commands.ts';
import type { EventLog, LoggedEvent } from '../kit/event-sourcing/event-log.ts';
import { projectionStep } from '../kit/event-sourcing/projection-step.ts';
import { ownedStream, serialized, singleWriterCommands } from '../kit/event-sourcing/single-writer.ts';
import type { ConsumerStep, ProducerStep } from '../scenario.ts';
import type { Profiles } from './profiles.ts';

/** The variant whose event store is the broker itself. */
export const BROKER_LOG = 'broker-log';

/** The event-sourcing scenario's store: the event log and the projection's read model. */
export interface UserStore {
  log: EventLog;
  profiles: Profiles;
  /** Streams commands were handled for (the broker log reads these back). */
  streams: Set<string>;
}

/** Create the user, or change the e-mail: every command on a user is valid. */
function decideProfile(id: string) {
  return (events: readonly LoggedEvent[]): Decision => ({
    type: events.length === 0 ? 'UserCreated' : 'UserEmailChanged',
    data: `${id}@example.org`,
  });
}

/**
 * A command on one of `streams` users: load, decide, append with the version read. With the broker
 * as a single-writer store (Kafka), each user has one writer — the producer owning its key — which
 * keeps the user's version itself and handles the user's commands one at a time.
 */
export function handleUserCommand(message: OutgoingMessage, step: ProducerStep<UserStore>, streams: number) {
  if (step.variant === BROKER_LOG && step.claim?.concurrency === 'single-writer') {
    const stream = ownedStream('user', message, step.index);
    step.store.streams.add(stream);
    return serialized(step, stream, () =>
      handleCommand(message.id, stream, step, singleWriterCommands(step, stream), decideProfile(message.id)),
    );
  }
  const stream = streamOf('user', message.id, streams);
  step.store.streams.add(stream);
  const log = step.variant === BROKER_LOG ? brokerCommands(step) : logCommands(step.store.log);
  return handleCommand(message.id, stream, step, log, decideProfile(message.id));
}

/** The projection: the current profile per user, idempotent by version. */
export function project(d: Delivery, step: ConsumerStep<UserStore>): Promise<void> {
  return projectionStep(d, step, (event, hooks) => step.store.profiles.apply(step.group, event, hooks));
}
