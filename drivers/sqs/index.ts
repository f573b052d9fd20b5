import type { SqsEndpoint } from '../../provision/endpoints.ts';
import { endpointsFor } from '../../provision/local/index.ts';
import type { Driver } from '../driver.ts';
import type { Placement } from '../index.ts';
import type { SqsConnection } from './aws.ts';
import { resolveImplementation, type SqsSettings } from './settings.ts';
import { SqsDriver } from './sqs-driver.ts';

/**
 * The SQS driver. The implementation is `settings.implementation`, else BROKERPROOF_SQS_IMPLEMENTATION,
 * else the provisioned emulator, else ElasticMQ. Where it is: `settings.endpoint`, else the endpoint
 * a provisioner handed over, else the emulator `brokerproof brokers up` runs here (through
 * Toxiproxy); `aws` uses the SDK's default endpoint, region and credential chain.
 */
export async function createSqsDriver(
  settings: SqsSettings = {},
  placement: Placement = {},
): Promise<Driver> {
  const endpoint = placement.endpoint as SqsEndpoint | undefined;
  const implementation = resolveImplementation(settings, process.env, endpoint?.broker ?? 'elasticmq');
  const provisioned = endpoint?.broker === implementation ? endpoint : undefined;
  const native = provisioned === undefined || placement.native === true;
  const local = implementation === 'aws' ? undefined : (provisioned ?? endpointsFor(implementation));
  const waitTimeSeconds = settings.waitTimeSeconds ?? 1;
  const connection: SqsConnection = {
    implementation,
    endpoint: settings.endpoint ?? local?.endpoint,
    region: settings.region ?? local?.region,
    requestTimeoutMs: settings.requestTimeoutMs ?? 5000,
    connectTimeoutMs: settings.connectTimeoutMs ?? 3000,
    sdkMaxAttempts: settings.sdkMaxAttempts ?? 1,
    waitTimeSeconds,
  };
  return new SqsDriver({
    connection,
    // moto and AWS serve SNS; ElasticMQ does not.
    sns: local?.sns ?? true,
    proxied: settings.endpoint === undefined && local?.proxied === true,
    visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds ?? 5,
    receiveBatchSize: settings.receiveBatchSize,
    contentBasedDeduplication: settings.contentBasedDeduplication ?? false,
    namePrefix: settings.namePrefix ?? 'bp',
    // Faults reach an emulator through its proxy, and kill/pause the native one of this machine
    // (ElasticMQ keeps its messages on disk across a kill, as SQS would; moto keeps them in memory).
    faultTargets:
      settings.endpoint === undefined && local
        ? { toxiproxy: local.toxiproxy, broker: native ? local.broker : undefined }
        : undefined,
  });
}
