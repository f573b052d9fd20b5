import { z } from 'zod';
import { UsageError } from '../../core/errors.ts';

export const SQS_IMPLEMENTATIONS = ['elasticmq', 'moto', 'aws'] as const;
export type SqsImplementation = (typeof SQS_IMPLEMENTATIONS)[number];

/** Environment variable that picks the implementation when the config does not. */
export const SQS_IMPLEMENTATION_VARIABLE = 'BROKERPROOF_SQS_IMPLEMENTATION';

/**
 * `drivers.sqs` in the config file. Without `endpoint`, ElasticMQ and moto are the emulators
 * `brokerproof brokers up` runs on this machine (behind Toxiproxy); `aws` is real AWS through the
 * SDK's default endpoint. There is deliberately no credentials field: AWS credentials come from the
 * SDK's standard chain (environment, profile, SSO, instance role) in every process, so they never
 * reach a config, a worker's command line, a history or a report; the emulators get fixed dummies.
 */
export const sqsSettings = z.strictObject({
  /** Which SQS: `elasticmq` (default; SQS only), `moto` (SQS and SNS), `aws`. */
  implementation: z.enum(SQS_IMPLEMENTATIONS).optional(),
  /** SQS/SNS endpoint URL (LocalStack, an emulator elsewhere, a VPC endpoint). */
  endpoint: z
    .string()
    .regex(/^https?:\/\//, 'an http:// or https:// URL')
    .optional(),
  region: z.string().min(1).optional(),
  /** Queue visibility timeout: an unacknowledged message comes back after this long (default 5). */
  visibilityTimeoutSeconds: z.number().int().min(1).max(43_200).optional(),
  /** Long polling: ReceiveMessage waits up to this long for messages (default 1). */
  waitTimeSeconds: z.number().int().min(0).max(20).optional(),
  /** A send, delete or visibility change without an answer after this long is `info` (default 5000). */
  requestTimeoutMs: z.number().int().positive().optional(),
  connectTimeoutMs: z.number().int().positive().optional(),
  /**
   * Messages per ReceiveMessage (1–10). Default: 10, except 1 on dead-letter setups, where a
   * batch would let a crash burn a receive of messages the application never saw.
   */
  receiveBatchSize: z.number().int().min(1).max(10).optional(),
  /** FIFO queues deduplicate by message body (ContentBasedDeduplication) instead of by message id. */
  contentBasedDeduplication: z.boolean().optional(),
  /** SDK attempts per request (default 1: each recorded outcome is one request; retries are the scenario's). */
  sdkMaxAttempts: z.number().int().min(1).max(10).optional(),
  /** Prefix of every queue and topic name (default `bp`). */
  namePrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,20}$/, 'letters, digits, - and _, at most 20')
    .optional(),
});
export type SqsSettings = z.output<typeof sqsSettings>;

/** The implementation: the setting, else BROKERPROOF_SQS_IMPLEMENTATION, else `fallback` (ElasticMQ). */
export function resolveImplementation(
  settings: SqsSettings = {},
  env: NodeJS.ProcessEnv = process.env,
  fallback: SqsImplementation = 'elasticmq',
): SqsImplementation {
  if (settings.implementation) return settings.implementation;
  const fromEnv = env[SQS_IMPLEMENTATION_VARIABLE];
  if (fromEnv === undefined || fromEnv === '') return fallback;
  if (!(SQS_IMPLEMENTATIONS as readonly string[]).includes(fromEnv)) {
    throw new UsageError(`${SQS_IMPLEMENTATION_VARIABLE}=${fromEnv} is not an SQS implementation`, {
      hint: `Use one of ${SQS_IMPLEMENTATIONS.join(', ')}.`,
    });
  }
  return fromEnv as SqsImplementation;
}

/**
 * The emulator a run must provision for these settings (for `brokerFor` in drivers/index.ts), or
 * undefined when the settings name an endpoint or real AWS.
 */
export function sqsBrokerFor(
  settings: SqsSettings = {},
  env: NodeJS.ProcessEnv = process.env,
): 'elasticmq' | 'moto' | undefined {
  if (settings.endpoint) return undefined;
  const implementation = resolveImplementation(settings, env);
  return implementation === 'aws' ? undefined : implementation;
}
