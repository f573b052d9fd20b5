import { z } from 'zod';
import { DELIVERY_GUARANTEES, ORDERING_SCOPES } from '../core/guarantee.ts';
import { STORE_KINDS } from '../core/store.ts';
import { kafkaSettings } from '../drivers/kafka/settings.ts';
import { memorySettings } from '../drivers/memory/settings.ts';
import { natsSettings } from '../drivers/nats/settings.ts';
import { pubsubSettings } from '../drivers/pubsub/settings.ts';
import { rabbitmqSettings } from '../drivers/rabbitmq/settings.ts';
import { sqsSettings } from '../drivers/sqs/settings.ts';
import { FAULT_KINDS, isFaultSpec } from '../faults/fault-plan.ts';
import { externalEndpointsSchema } from '../provision/external.ts';
import { PROVISION_MODES } from '../provision/provisioner.ts';
import { customSetupSchema } from './custom-setups.ts';

const positiveInt = z.number().int().positive();

const listOrComma = z.union([
  z.array(z.string().min(1)),
  z
    .string()
    .min(1)
    .transform((s) => s.split(',')),
]);

export const configSchema = z.strictObject({
  driver: z.string().min(1).optional(),
  /**
   * Setups to run, by name (`'quorum'`), or custom ones defined here: `{ name, extends:
   * 'rabbitmq/quorum', options, claim }` (config/custom-setups.ts).
   */
  setups: z
    .union([
      z
        .string()
        .min(1)
        .transform((s) => s.split(',')),
      z.array(z.union([z.string().min(1), customSetupSchema])),
    ])
    .optional(),
  /**
   * Your handler under test: a module (path relative to the config file) whose default export is
   * `async (message, context) => void`; it replaces the scenario's built-in processing.
   */
  handler: z.string().min(1).optional(),
  /**
   * Your handler's store: its tables (a SQL file, relative to the config file) in the case's
   * PostgreSQL schema, and the query that reads its effects back (`id`, `effects`, `group?`).
   */
  handlerStore: z
    .object({
      schema: z.string().min(1).optional(),
      effects: z.string().min(1),
      claim: z.enum(['effectively-once', 'at-least-once']).optional(),
    })
    .strict()
    .optional(),
  scenarios: listOrComma.optional(),
  /** The scenario's variant (`--variant`). */
  variant: z.string().min(1).optional(),
  /** Where scenarios with a store keep their state (`--store`). */
  store: z.enum(STORE_KINDS).optional(),
  guarantee: z.enum(DELIVERY_GUARANTEES).optional(),
  ordering: z.enum(ORDERING_SCOPES).optional(),
  maxAttempts: positiveInt.optional(),
  /** Fault kinds, a network fault optionally pinned to a role: `partition@consumers`. */
  faults: z
    .array(
      z.string().refine((f) => isFaultSpec(f), {
        message: `a fault is one of ${FAULT_KINDS.join(', ')}, a network fault optionally @producers, @consumers, @consumer or @all`,
      }),
    )
    .optional(),
  runs: positiveInt.optional(),
  seed: z.number().int().min(0).max(0x7fffffff).optional(),
  messages: positiveInt.optional(),
  out: z.string().min(1).optional(),
  timeouts: z
    .strictObject({
      setupMs: positiveInt.optional(),
      loadMs: positiveInt.optional(),
      healMs: positiveInt.optional(),
      drainMs: positiveInt.optional(),
      quietMs: positiveInt.optional(),
      teardownMs: positiveInt.optional(),
      caseMs: positiveInt.optional(),
      restartDelayMs: z.number().int().min(0).optional(),
    })
    .optional(),
  drivers: z
    .strictObject({
      memory: memorySettings.optional(),
      rabbitmq: rabbitmqSettings.optional(),
      nats: natsSettings.optional(),
      sqs: sqsSettings.optional(),
      kafka: kafkaSettings.optional(),
      pubsub: pubsubSettings.optional(),
    })
    .optional(),
  /** Seconds to shrink the first violation to a minimal counterexample (0: run every case). */
  shrinkTime: z.number().min(0).optional(),
  /** Consumers in the runner's process, or each in its own (a crash is then a SIGKILL). */
  isolation: z.enum(['inline', 'process']).optional(),
  /** Where brokers come from: native processes, Docker, or the `endpoints` below (a staging cluster, AWS). */
  provision: z.enum(PROVISION_MODES).optional(),
  endpoints: externalEndpointsSchema.optional(),
});

export type BrokerproofConfig = z.input<typeof configSchema>;
export type ResolvedConfig = z.output<typeof configSchema>;

/** Typed identity for `brokerproof.config.ts`: `export default defineConfig({ … })`. */
export function defineConfig(config: BrokerproofConfig): BrokerproofConfig {
  return config;
}
