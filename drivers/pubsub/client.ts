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
