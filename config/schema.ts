import { z } from 'zod';
import { DELIVERY_GUARANTEES, ORDERING_SCOPES } from '../core/guarantee.ts';
import { MEMORY_ANOMALIES } from '../drivers/memory/anomalies.ts';

/** Fault kinds `--faults` accepts today. */
export const FAULT_KINDS = ['consumer-crash'] as const;

const rate = z.number().min(0, 'a rate is at least 0').max(1, 'a rate is at most 1');
const positiveInt = z.number().int().positive();

const memoryDriver = z.strictObject({
  anomalies: z.strictObject(Object.fromEntries(MEMORY_ANOMALIES.map((a) => [a, rate.optional()]))).optional(),
  ackTimeoutMs: positiveInt.optional(),
  sessionTimeoutMs: positiveInt.optional(),
});

const rabbitmqDriver = z.strictObject({
  url: z
    .string()
    .regex(/^amqps?:\/\//, 'an amqp:// or amqps:// URL')
    .optional(),
  confirmTimeoutMs: positiveInt.optional(),
  connectTimeoutMs: positiveInt.optional(),
  queueExpiresMs: positiveInt.optional(),
});

const listOrComma = z.union([
  z.array(z.string().min(1)),
  z
    .string()
    .min(1)
    .transform((s) => s.split(',')),
]);

export const configSchema = z.strictObject({
  driver: z.string().min(1).optional(),
  setups: listOrComma.optional(),
  scenarios: listOrComma.optional(),
  guarantee: z.enum(DELIVERY_GUARANTEES).optional(),
  ordering: z.enum(ORDERING_SCOPES).optional(),
  maxAttempts: positiveInt.optional(),
  faults: z.array(z.enum(FAULT_KINDS)).optional(),
  runs: positiveInt.optional(),
  seed: z.number().int().min(0).max(0x7fffffff).optional(),
  messages: positiveInt.optional(),
  out: z.string().min(1).optional(),
  timeouts: z
    .strictObject({
      loadMs: positiveInt.optional(),
      drainMs: positiveInt.optional(),
      quietMs: positiveInt.optional(),
      restartDelayMs: z.number().int().min(0).optional(),
    })
    .optional(),
  drivers: z
    .strictObject({ memory: memoryDriver.optional(), rabbitmq: rabbitmqDriver.optional() })
    .optional(),
  /** Consumers in the runner's process, or each in its own (a crash is then a SIGKILL). */
  isolation: z.enum(['inline', 'process']).optional(),
});

export type BrokerproofConfig = z.input<typeof configSchema>;
export type ResolvedConfig = z.output<typeof configSchema>;

/** Typed identity for `brokerproof.config.ts`: `export default defineConfig({ … })`. */
export function defineConfig(config: BrokerproofConfig): BrokerproofConfig {
  return config;
}
