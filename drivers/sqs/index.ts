import type { SqsEndpoint } from '../../provision/endpoints.ts';
import type { Driver } from '../driver.ts';
import { faultTargetsOf, type Placement } from '../placement.ts';
import type { SqsConnection } from './aws.ts';
import { resolveImplementation, type SqsSettings } from './settings.ts';
import { SqsDriver } from './sqs-driver.ts';

/**
 * The SQS driver. The implementation is `settings.implementation`, else BROKERPROOF_SQS_IMPLEMENTATION,
 * else the placed emulator, else ElasticMQ. Where it is: `settings.endpoint` (every client there),
 * else the endpoint its caller placed (admin requests through the emulator's own proxy, producers
 * and consumers through their roles'); `aws` uses the SDK's default endpoint, region and credential
 * chain. An emulator with neither can only attach (worker processes).
 */
export async function createSqsDriver(
  settings: SqsSettings = {},
  placement: Placement = {},
): Promise<Driver> {
  const endpoint = placement.endpoint as SqsEndpoint | undefined;
  const implementation = resolveImplementation(settings, process.env, endpoint?.broker ?? 'elasticmq');
  const placed =
    implementation !== 'aws' && settings.endpoint === undefined && endpoint?.broker === implementation
      ? endpoint
      : undefined;
  const waitTimeSeconds = settings.waitTimeSeconds ?? 1;
  const roles = placed?.roles;
  const connection: SqsConnection = {
    implementation,
    endpoint: settings.endpoint ?? placed?.endpoint,
    region: settings.region ?? placed?.region,
    requestTimeoutMs: settings.requestTimeoutMs ?? 5000,
    connectTimeoutMs: settings.connectTimeoutMs ?? 3000,
    sdkMaxAttempts: settings.sdkMaxAttempts ?? 1,
    waitTimeSeconds,
    roles:
      roles?.producers.endpoint && roles.consumers.endpoint
        ? { producers: roles.producers.endpoint, consumers: roles.consumers.endpoint }
        : undefined,
  };
  return new SqsDriver({
    connection,
    // moto and AWS serve SNS; ElasticMQ does not.
    sns: placed?.sns ?? implementation !== 'elasticmq',
    proxied: placed?.proxied === true,
    visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds ?? 5,
    receiveBatchSize: settings.receiveBatchSize,
    contentBasedDeduplication: settings.contentBasedDeduplication ?? false,
    namePrefix: settings.namePrefix ?? 'bp',
    // Faults reach an emulator through its proxies, and kill/pause the native one of this machine
    // (ElasticMQ keeps its messages on disk across a kill, as SQS would; moto keeps them in memory).
    faultTargets: placed && faultTargetsOf(placed, placement.native),
  });
}
