import type { EventInput } from './events.ts';

/**
 * How a client records events: in the runner's process straight into the case history, in a worker
 * process down a pipe to the runner. A client never sees the history itself.
 */
export interface Recorder {
  /**
   * `json`, when given, is the event's JSON exactly as JSON.stringify writes it, built by a typed
   * writer (core/client-events.ts) on the hot path; a recorder may write it instead of serialising.
   */
  record(event: EventInput, json?: string): void;
}
