import type { EventInput } from './events.ts';

/**
 * How a client records events: in the runner's process straight into the case history, in a worker
 * process down a pipe to the runner. A client never sees the history itself.
 */
export interface Recorder {
  record(event: EventInput): void;
}
