import { z } from 'zod';

const ms = z.number().int().positive();

/** `drivers.nats` in the config file. Without `servers`, the provisioned nats-server is used. */
export const natsSettings = z.strictObject({
  /** nats:// URLs (through Toxiproxy when faults are to be injected). */
  servers: z
    .array(z.string().regex(/^(nats|tls):\/\/|^[^:/]+:\d+$/, 'a nats:// URL or host:port'))
    .min(1)
    .optional(),
  connectTimeoutMs: ms.optional(),
  /** A JetStream publish without a PubAck (or a core publish without a flush) after this long is `info`. */
  publishTimeoutMs: ms.optional(),
  /** Unacknowledged JetStream messages are redelivered after this long (consumer AckWait). */
  ackWaitMs: ms.optional(),
  /** How long an `ackAck` waits for the server's confirmation. */
  ackTimeoutMs: ms.optional(),
  /** The stream's duplicate window for `Nats-Msg-Id` (setups that deduplicate). */
  duplicateWindowMs: ms.optional(),
  /** Stream storage. */
  storage: z.enum(['file', 'memory']).optional(),
  /** Streams a crashed run left behind drop their messages after this long; idle consumers go away. */
  resourceMaxAgeMs: ms.optional(),
});
export type NatsSettings = z.output<typeof natsSettings>;
