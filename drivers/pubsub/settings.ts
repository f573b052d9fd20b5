import { z } from 'zod';

const seconds = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * `drivers.pubsub` in the config file. Without `apiEndpoint` and `projectId`, the Pub/Sub emulator
 * `brokerproof brokers up` runs (behind Toxiproxy) is used. `apiEndpoint` names another emulator;
 * `projectId` alone means real Google Cloud, with credentials from Application Default Credentials
 * (GOOGLE_APPLICATION_CREDENTIALS, gcloud login, workload identity) — never from the config.
 */
export const pubsubSettings = z.strictObject({
  /** An emulator's `host:port` (every client goes there, no proxy the driver knows of). */
  apiEndpoint: z
    .string()
    .regex(/^[^:/\s]+:\d+$/, 'host:port')
    .optional(),
  /** The Google Cloud project (emulator: any name of at least 3 characters; default `brokerproof`). */
  projectId: z
    .string()
    .regex(/^[a-z][a-z0-9-]{2,29}$/, 'a Google Cloud project id')
    .optional(),
  /**
   * Ack deadline of subscriptions, and of the client's stream and lease modAcks (min = max, so the
   * library does not stretch it from its latency histogram): an unacknowledged message is
   * redelivered this long after its last lease extension (10–600 s, default 10; the emulator, like
   * Pub/Sub, refuses a stream deadline under 10 s).
   */
  ackDeadlineSeconds: seconds(10, 600).optional(),
  /**
   * The client extends the lease of a message its handler still holds for at most this long
   * (default 30 s; the library's own default is 60 min, which would hide a stalled consumer's
   * messages for the rest of a case).
   */
  maxExtensionSeconds: seconds(10, 3600).optional(),
  /** A publish without an answer after this long is `info` (default 5000). */
  publishTimeoutMs: z.number().int().positive().optional(),
  /**
   * Messages one consumer holds at once (flow control; default 1000, the library's). When it is
   * reached the client stops reading its stream, and what the server already sent waits unread
   * while its lease runs out — seen with 16: messages then came in waves an ack deadline apart.
   */
  flowControlMessages: z.number().int().min(1).max(1000).optional(),
  /** Retry policy of `dead-letter`: backoff of the first redelivery (default 200 ms). */
  retryMinBackoffMs: z.number().int().min(0).max(600_000).optional(),
  /** Retry policy of `dead-letter`: the longest backoff (default 2000 ms). */
  retryMaxBackoffMs: z.number().int().min(0).max(600_000).optional(),
});
export type PubsubSettings = z.output<typeof pubsubSettings>;

/** The emulator a run must provision for these settings, or undefined (another endpoint, Google). */
export function pubsubBrokerFor(settings: PubsubSettings = {}): 'pubsub' | undefined {
  return settings.apiEndpoint || settings.projectId ? undefined : 'pubsub';
}
