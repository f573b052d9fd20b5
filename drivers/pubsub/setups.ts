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
}

const setup = (s: Omit<Setup, 'options'> & { options: PubsubSetupOptions }): Setup => s;

/**
 * What every setup shares: faults it cannot take. The emulator keeps topics, subscriptions and
 * messages in memory only, so a broker-kill would lose everything — a property of the emulator,
 * not of Pub/Sub — and the driver offers no broker faults (network faults through Toxiproxy only).
 */
const EMULATOR_NOTE =
  ' Broker faults are not offered: the emulator keeps everything in memory, so a kill would lose every topic, subscription and message — a property of the emulator, not of Pub/Sub.';

/**
 * Pub/Sub setups, each with the guarantee it claims (docs/drivers/pubsub.md for what really held).
 * Every consumer is a streaming pull with leases extended by the client for at most
 * `maxExtensionSeconds`, so a crashed or cut-off consumer's messages come back within the case.
 */
export const PUBSUB_SETUPS: readonly Setup[] = [
  setup({
    name: 'pull',
    description: `A topic and a subscription, streaming pull, ack after processing; an unacknowledged message is redelivered once its ack deadline passes (the client stops extending it after a crash, a partition, or maxExtension).${EMULATOR_NOTE}`,
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
    description: `Ordering keys: producers publish with orderingKey = message key (the client pauses a key after a failed publish until it is resumed), the subscription has message ordering enabled, and each consumer handles one message of a key at a time. A redelivery of a key's message brings the key's later messages again.${EMULATOR_NOTE}`,
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
    description: `Dead-letter policy with max delivery attempts N (5, or --max-attempts N, 5–100) to a dead-letter topic with its own subscription, and a retry policy: a nack is redelivered after an exponential backoff (min 200 ms, max 2 s by default). Pub/Sub counts delivery attempts only on subscriptions with a dead-letter policy, best effort: the DLQ policy is claimed without network faults.${EMULATOR_NOTE}`,
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
    description: `Exactly-once delivery subscription: acks and nacks are confirmed (ackWithResponse), a confirmed ack is never followed by a redelivery, and an expired ack id is refused. What the configuration gives is no redelivery after a confirmed ack; a consumer that dies after processing and before its ack is confirmed gets the message processed again (at-least-once processing).${EMULATOR_NOTE}`,
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
    description: `One topic, one subscription per subscriber group: each group gets every message, streaming pull, ack after processing.${EMULATOR_NOTE}`,
    claim: { delivery: 'at-least-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    options: {},
  }),
];
