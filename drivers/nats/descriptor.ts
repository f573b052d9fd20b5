import type { ClientRole } from '../../core/brokers.ts';
import type { HostPort } from '../../provision/endpoints.ts';
import type { NatsSetupOptions } from './setups.ts';

/** A dead-letter destination of one subscriber group. */
export interface DeadLetterRef {
  stream: string;
  subject: string;
  consumer: string;
}

/** Everything another process needs to reach a case's topology. */
export interface NatsDescriptor {
  [key: string]: unknown;
  /** Servers of admin connections (streams, backlog, cleanup), and of every client without `roles`. */
  servers: string[];
  /** Producers' and consumers' own servers (each role behind its own proxy), when provisioned so. */
  roles?: Record<ClientRole, string[]> | undefined;
  dest: string;
  /** Producers publish to `<subject>.<key token>`; consumers and the stream take `<subject>.>`. */
  subject: string;
  /** The case's stream (JetStream setups). */
  stream: string | undefined;
  /** Per group: its durable consumer (JetStream) or its queue group (core). */
  consumers: Record<string, string>;
  /** Per group, in setups that dead-letter. */
  deadLetters: Record<string, DeadLetterRef>;
  setup: NatsSetupOptions;
  connectTimeoutMs: number;
  publishTimeoutMs: number;
  ackTimeoutMs: number;
}

/** The servers a client of `role` connects to (dead-letter readers are consumers). */
export function serversFor(d: NatsDescriptor, role: ClientRole | 'admin'): string[] {
  return (role !== 'admin' && d.roles?.[role]) || d.servers;
}

/**
 * The descriptor as one consumer sees it: its servers are the address it was handed (its own
 * proxy), so every connection it opens goes there.
 */
export function viaDescriptor(d: NatsDescriptor, via: HostPort | undefined): NatsDescriptor {
  if (!via) return d;
  return {
    ...d,
    roles: { producers: serversFor(d, 'producers'), consumers: [`nats://${via.host}:${via.port}`] },
  };
}
