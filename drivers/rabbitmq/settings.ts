import { z } from 'zod';

/** `drivers.rabbitmq` in the config file. Without `url`, the locally provisioned broker is used. */
export const rabbitmqSettings = z.strictObject({
  url: z
    .string()
    .regex(/^amqps?:\/\//, 'an amqp:// or amqps:// URL')
    .optional(),
  confirmTimeoutMs: z.number().int().positive().optional(),
  connectTimeoutMs: z.number().int().positive().optional(),
  queueExpiresMs: z.number().int().positive().optional(),
});
export type RabbitmqSettings = z.output<typeof rabbitmqSettings>;
