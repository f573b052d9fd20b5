import { z } from 'zod';
import { defineCustomizer, defined, SetupOptionProblem } from '../custom-setup.ts';
import type { Setup } from '../driver.ts';

/** What the Pub/Sub driver builds for a setup. */
export interface PubsubSetupOptions {
  [key: string]: unknown;
  /** Ordering keys: producers publish with `orderingKey` = message key, subscriptions enable message ordering. */
  ordering?: boolean;
  /** A dead-letter topic after N delivery attempts, and a retry policy (exponential backoff). */
  deadLetter?: boolean;
  /** `enable_exactly_once_delivery` on the subscription; acks are confirmed (`ackWithResponse`). */
  exactlyOnce?: boolean;
  /** A push subscription per group to an HTTP front the group's push endpoints register with. */
  push?: boolean;
  /** A custom setup's dead-letter policy: max delivery attempts (fixed; 5–100). */
  maxDeliveryAttempts?: number | undefined;
  /** A custom setup's retry policy (wins over the driver's retryMin/MaxBackoffMs; also without a DLQ). */
  retryBackoffMs?: { min: number; max: number } | undefined;
}

const setup = (s: Omit<Setup, 'options'> & { options: PubsubSetupOptions }): Setup => s;

/**
 * What every setup shares: faults it cannot take. The emulator keeps topics, subscriptions and
 * messages in memory only, so a broker-kill would lose everything — a property of the emulator,
 * not of Pub/Sub — and the driver offers no broker faults (network faults through Toxiproxy only).
 */
const EMULATOR_NOTE =
  ' Broker faults are not offered: the emulator keeps everything in memory, so a kill would lose every topic, subscription and message — a property of the emulator, not of Pub/Sub.';
/** Measured (docs/drivers/pubsub.md, "the emulator keeps dealing messages to streams whose connection has closed"). */
const DEAD_STREAMS_NOTE =
  ' On the emulator, a streaming pull whose connection closed (a killed consumer, a partition) stays a subscriber for minutes and is still dealt messages, each back only after its ack deadline and maybe to a dead stream again: after such faults deliveries come late, and one may miss the drain (then reported lost) — the emulator, not Pub/Sub, which ends a closed stream at once.';

/**
 * Pub/Sub setups, each with the guarantee it claims (docs/drivers/pubsub.md for what really held).
 * Every consumer is a streaming pull with leases extended by the client for at most
 * `maxExtensionSeconds`, so a crashed or cut-off consumer's messages come back within the case.
 */
export const PUBSUB_SETUPS: readonly Setup[] = [
  setup({
    name: 'pull',
    description: `A topic and a subscription, streaming pull, ack after processing; an unacknowledged message is redelivered once its ack deadline passes (the client stops extending it after a crash, a partition, or maxExtension).${EMULATOR_NOTE}${DEAD_STREAMS_NOTE}`,
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: {},
  }),
  setup({
    name: 'ordering-keys',
    description: `Ordering keys: producers publish with orderingKey = message key (the client pauses a key after a failed publish until it is resumed), the subscription has message ordering enabled, and each consumer handles one message of a key at a time. A redelivery of a key's message brings the key's later messages again.${EMULATOR_NOTE}${DEAD_STREAMS_NOTE}`,
    claim: { delivery: 'at-least-once', ordering: 'per-key' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-key'],
    ackMode: 'manual',
    fanOut: false,
    options: { ordering: true },
  }),
  setup({
    name: 'dead-letter',
    description: `Dead-letter policy with max delivery attempts N (5, or --max-attempts N, 5–100) to a dead-letter topic with its own subscription, and a retry policy: a nack is redelivered after an exponential backoff (min 200 ms, max 2 s by default). Pub/Sub counts delivery attempts only on subscriptions with a dead-letter policy, best effort: the DLQ policy is claimed without network faults.${EMULATOR_NOTE}${DEAD_STREAMS_NOTE}`,
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 5 },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { deadLetter: true },
  }),
  setup({
    name: 'exactly-once-delivery',
    description: `Exactly-once delivery subscription: acks and nacks are confirmed (ackWithResponse), a confirmed ack is never followed by a redelivery, and an expired ack id is refused. What the configuration gives is no redelivery after a confirmed ack; a consumer that dies after processing and before its ack is confirmed gets the message processed again (at-least-once processing).${EMULATOR_NOTE}${DEAD_STREAMS_NOTE}`,
    claim: { delivery: 'exactly-once', ordering: 'none' },
    claimBasis: 'vendor',
    vendorClaim:
      'Exactly-once delivery: "no redelivery occurs once the message has been successfully acknowledged" and none while it is outstanding, within a region, with acks confirmed through the client (Google Cloud docs, Pub/Sub: "Exactly-once delivery").',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: false,
    options: { exactlyOnce: true },
  }),
  setup({
    name: 'fan-out',
    description: `One topic, one subscription per subscriber group: each group gets every message, streaming pull, ack after processing.${EMULATOR_NOTE}${DEAD_STREAMS_NOTE}`,
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: {},
  }),
  setup({
    name: 'push',
    description: `A push subscription per group to http://: the emulator POSTs each message to the group's front, which relays it to one of the group's consumers — each an HTTP server inside the consumer (a crash or SIGKILL takes it down). 2xx acks; a non-2xx answer, a refused or dropped connection, or no answer within the ack deadline brings the message back (the emulator retries an error about once a second, a silent endpoint after the ack deadline). An ack is the response sent: the broker never confirms it. A consumer's own proxy carries the front → endpoint hop, so @consumer faults hit the delivery path. Emulator only (Google Cloud cannot reach a local endpoint).${EMULATOR_NOTE}`,
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: { push: true },
  }),
];

const backoffMs = z.number().int().min(0).max(600_000);

/** What a custom Pub/Sub setup may set (`setups[].options` in the config), in the API's own terms. */
export const pubsubSetupOptions = z.strictObject({
  /** Dead-letter after this many delivery attempts, to a topic the driver creates per group. */
  deadLetterPolicy: z.strictObject({ maxDeliveryAttempts: z.number().int().min(5).max(100) }).optional(),
  /** Exponential backoff of redeliveries after a nack or an expired lease. */
  retryPolicy: z.strictObject({ minimumBackoffMs: backoffMs, maximumBackoffMs: backoffMs }).optional(),
  /** Ordering keys on publish and subscription (`ordering-keys` has them already). */
  enableMessageOrdering: z.boolean().optional(),
});

/** How a team's Pub/Sub options change a built-in setup, and what the result can claim. */
export const pubsubCustomizer = defineCustomizer({
  schema: pubsubSetupOptions,
  apply(base, custom) {
    const was = base.options as PubsubSetupOptions;
    const problems: SetupOptionProblem[] = [];
    const retry = custom.retryPolicy;
    if (retry && retry.minimumBackoffMs > retry.maximumBackoffMs)
      problems.push(
        new SetupOptionProblem('retryPolicy.minimumBackoffMs', 'is more than retryPolicy.maximumBackoffMs'),
      );
    if (custom.enableMessageOrdering !== undefined && was.push)
      problems.push(
        new SetupOptionProblem(
          'enableMessageOrdering',
          'push endpoints here handle a key’s messages side by side; extend pubsub/ordering-keys',
        ),
      );
    if (custom.enableMessageOrdering === false && was.ordering)
      problems.push(
        new SetupOptionProblem('enableMessageOrdering', `${base.name} is ordering keys; extend pubsub/pull`),
      );
    if (problems.length) return problems;
    const attempts = custom.deadLetterPolicy?.maxDeliveryAttempts;
    const deadLetter = was.deadLetter === true || attempts !== undefined;
    const ordering = was.ordering === true || custom.enableMessageOrdering === true;
    const notes: string[] = [];
    if (attempts !== undefined) notes.push(`dead-letter after ${attempts} delivery attempts`);
    if (retry) notes.push(`retry backoff ${retry.minimumBackoffMs}–${retry.maximumBackoffMs} ms`);
    if (ordering && !was.ordering) notes.push('ordering keys');
    return {
      options: defined({
        ...was,
        deadLetter: deadLetter || undefined,
        ordering: ordering || undefined,
        maxDeliveryAttempts: attempts,
        retryBackoffMs: retry && { min: retry.minimumBackoffMs, max: retry.maximumBackoffMs },
      }),
      orderingScopes: ordering ? ['per-key'] : base.orderingScopes,
      deadLetters: deadLetter,
      fixedMaxAttempts: attempts,
      fixedMaxAttemptsKey: 'deadLetterPolicy.maxDeliveryAttempts',
      notes,
    };
  },
});
