import type { ClientRole } from '../../core/brokers.ts';
import { endpointFor, type PubsubDescriptor } from './descriptor.ts';

type PubSubModule = typeof import('@google-cloud/pubsub');
export type PubSubClient = InstanceType<PubSubModule['PubSub']>;

let loaded: Promise<PubSubModule> | undefined;

/** The library, loaded once (it is large; a run that does not use Pub/Sub never loads it). */
export function pubsubModule(): Promise<PubSubModule> {
  // The emulator needs no credentials; without this, google-auth probes for a GCE metadata server.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  loaded ??= import('@google-cloud/pubsub');
  return loaded;
}

/** How long a consumer's leases run, and how many messages it holds (the driver's settings). */
export interface LeaseSettings {
  ackDeadlineSeconds: number;
  maxExtensionSeconds: number;
  flowControlMessages: number;
}

/** The driver's defaults (`drivers.pubsub` settings override each). */
export const DEFAULT_LEASES: LeaseSettings = {
  ackDeadlineSeconds: 10,
  maxExtensionSeconds: 30,
  flowControlMessages: 1000,
};

/**
 * How a consumer subscribes: one stream, with the ack deadline as both the stream's and every lease
 * modAck's, leases extended for at most `maxExtensionSeconds`, and each message handed over as it
 * arrives. Tests and experiments that stand in for a consumer subscribe the same way.
 */
export function streamingPullOptions(Duration: PubSubModule['Duration'], s: LeaseSettings) {
  const deadline = Duration.from({ seconds: s.ackDeadlineSeconds });
  return {
    flowControl: { maxMessages: s.flowControlMessages, allowExcessMessages: true },
    streamingOptions: { maxStreams: 1 },
    minAckDeadline: deadline,
    maxAckDeadline: deadline,
    maxExtensionTime: Duration.from({ seconds: s.maxExtensionSeconds }),
  };
}

/**
 * A client of its own (its own gRPC channel, so a crash or a per-consumer proxy affects this client
 * alone) for `role`: the emulator's address for the role, else Google's default endpoint with
 * Application Default Credentials.
 */
export async function newClient(d: PubsubDescriptor, role: ClientRole | 'admin'): Promise<PubSubClient> {
  const { PubSub } = await pubsubModule();
  const apiEndpoint = endpointFor(d, role);
  return apiEndpoint
    ? new PubSub({ projectId: d.projectId, apiEndpoint, emulatorMode: true })
    : new PubSub({ projectId: d.projectId });
}
