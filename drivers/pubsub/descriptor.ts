import type { ClientRole } from '../../core/brokers.ts';
import type { HostPort } from '../../provision/endpoints.ts';
import type { PubsubSetupOptions } from './setups.ts';

/** A dead-letter topic of one subscriber group, and the subscription the DLQ reader reads. */
export interface DeadLetterRef {
  topic: string;
  subscription: string;
}

/** Everything another process needs to reach a case's topic and subscriptions (no credentials). */
export interface PubsubDescriptor {
  [key: string]: unknown;
  projectId: string;
  /**
   * Emulator addresses (`host:port`): admin clients', and each role's own when provisioned so.
   * Undefined: real Google Cloud, through the client's default endpoint and credentials.
   */
  endpoints: { admin: string; roles?: Record<ClientRole, string> | undefined } | undefined;
  /** The topic producers publish to; also the `dest` recorded. */
  dest: string;
  /** Per group: its subscription (short name). */
  subscriptions: Record<string, string>;
  /** Per group, in setups that dead-letter. */
  deadLetters: Record<string, DeadLetterRef>;
  setup: PubsubSetupOptions;
  /** `push`: per group, the front its push subscription posts to (its endpoints register there). */
  pushFronts?: Record<string, string> | undefined;
  /** Toxiproxy's API, where a push endpoint points its per-consumer proxy at itself. */
  toxiproxyApi?: string | undefined;
  ackDeadlineSeconds: number;
  maxExtensionSeconds: number;
  publishTimeoutMs: number;
  flowControlMessages: number;
}

/** The emulator address a client of `role` uses (undefined: Google). */
export function endpointFor(d: PubsubDescriptor, role: ClientRole | 'admin'): string | undefined {
  if (!d.endpoints) return undefined;
  return (role !== 'admin' && d.endpoints.roles?.[role]) || d.endpoints.admin;
}

/** The descriptor as one consumer sees it: its consumers' address is the one it was handed. */
export function viaDescriptor(d: PubsubDescriptor, via: HostPort | undefined): PubsubDescriptor {
  if (!via || !d.endpoints) return d;
  const producers = endpointFor(d, 'producers')!;
  return {
    ...d,
    endpoints: { ...d.endpoints, roles: { producers, consumers: `${via.host}:${via.port}` } },
  };
}

/**
 * Resource names: letters, digits and `-_.~+%`, 3–255 characters, starting with a letter, not
 * `goog`. Case ids repeat across runs; `token` (random) keeps a killed run's leftovers apart.
 */
export function resourceName(...parts: string[]): string {
  const name = `bp-${parts.join('-')}`.replace(/[^A-Za-z0-9_.~+%-]/g, '_');
  return name.length <= 255 ? name : name.slice(0, 255);
}
