/**
 * Versions native provisioning installs (and the Docker images are built from), each selectable by
 * an environment variable. Kafka defaults to the newest release verified with kafkajs 2.2.4 (produce,
 * idempotent and transactional produce, consumer groups, offset commits, sendOffsets): see
 * docs/brokers.md.
 */
import { UsageError } from '../core/errors.ts';

export interface VersionPlan {
  kafka: string;
  elasticmq: string;
  nats: string;
  moto: string;
  toxiproxy: string;
}

export const DEFAULT_VERSIONS: VersionPlan = {
  kafka: '4.4.0',
  elasticmq: '1.7.1',
  nats: 'v2.15.2',
  moto: '5.2.5',
  toxiproxy: 'v2.12.0',
};

export const VERSION_VARIABLES: Record<keyof VersionPlan, string> = {
  kafka: 'BROKERPROOF_KAFKA_VERSION',
  elasticmq: 'BROKERPROOF_ELASTICMQ_VERSION',
  nats: 'BROKERPROOF_NATS_VERSION',
  moto: 'BROKERPROOF_MOTO_VERSION',
  toxiproxy: 'BROKERPROOF_TOXIPROXY_VERSION',
};

export function resolveVersions(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<VersionPlan> = {},
): VersionPlan {
  const plan = { ...DEFAULT_VERSIONS };
  for (const key of Object.keys(plan) as Array<keyof VersionPlan>) {
    const value = overrides[key] ?? env[VERSION_VARIABLES[key]];
    if (value === undefined || value === '') continue;
    if (!/^v?\d+(\.\d+){1,3}([-.][A-Za-z0-9]+)?$/.test(value)) {
      throw new UsageError(`${VERSION_VARIABLES[key]}=${value} is not a version`, {
        hint: `Use a release number such as ${DEFAULT_VERSIONS[key]}.`,
      });
    }
    plan[key] =
      key === 'nats' || key === 'toxiproxy'
        ? value.startsWith('v')
          ? value
          : `v${value}`
        : value.replace(/^v/, '');
  }
  return plan;
}
