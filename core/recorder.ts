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
  /**
   * A writer for one consumer's per-message events, offered by a recorder that carries them more
   * cheaply than as events (a worker's pipe sends the writer's arguments, and the runner builds the
   * events); without it they are built and recorded (core/client-events.ts).
   */
  consumerEvents?(p: string, group: string | undefined): ConsumerEvents;
}

/** What a consumer records for every message: its delivery, processing and ack. */
export interface ConsumerEvents {
  deliver(
    id: string,
    dest: string,
    partition: number | undefined,
    offset: string | number | undefined,
    redelivered: boolean | undefined,
    deliveryCount: number | undefined,
  ): void;
  /** `process`, or an `ack` invoke: the fields every consumer event starts with. */
  simple(type: 'ok' | 'invoke', f: 'process' | 'ack', id: string): void;
  /** An ack's outcome: `ok` with nothing else, or `fail`/`info` with the error (if any). */
  ackOutcome(type: 'ok' | 'fail' | 'info', id: string, error: string | undefined): void;
}
