import { randomBytes } from 'node:crypto';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ClientRole } from '../../core/brokers.ts';
import { describeError } from '../../core/errors.ts';
import { EMULATOR_CREDENTIALS } from '../../provision/endpoints.ts';
import type { SqsImplementation } from './settings.ts';

// The SDK warns once per process that releases after January 2027 need Node 22; the version is pinned.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * How to reach an SQS implementation: serialisable, and free of credentials on purpose — every
 * process derives those itself (the emulators' fixed dummies, or the SDK's default chain for AWS).
 */
export interface SqsConnection {
  [key: string]: unknown;
  implementation: SqsImplementation;
  /** Undefined: the SDK's default endpoint for the region (real AWS). */
  endpoint: string | undefined;
  /** Undefined: the SDK resolves it (AWS_REGION, profile). */
  region: string | undefined;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  /** SDK attempts per request; 1 means every recorded outcome is exactly one request. */
  sdkMaxAttempts: number;
  /** The longest ReceiveMessage wait any client of this connection asks for. */
  waitTimeSeconds: number;
  /** Producers' and consumers' own endpoints (each role behind its own proxy); else `endpoint`. */
  roles?: Record<ClientRole, string> | undefined;
}

/** The connection of a client of `role`: its role's own endpoint, when there is one. */
export function connectionFor(connection: SqsConnection, role: ClientRole | 'admin'): SqsConnection {
  const endpoint = role === 'admin' ? undefined : connection.roles?.[role];
  return endpoint ? { ...connection, endpoint, roles: undefined } : connection;
}

/**
 * A queue URL as a client of `role` must use it. The service builds queue URLs from its own
 * address — ElasticMQ from its node-address, moto from the request's Host: the broker's own proxy
 * — and the AWS SDK sends to a queue URL's host whenever no endpoint is configured (and older
 * releases even when one is). Rebased onto the role's endpoint, a role's requests stay on its
 * proxy whatever the SDK does.
 */
export function queueUrlFor(url: string, connection: SqsConnection, role: ClientRole | 'admin'): string {
  const own = connectionFor(connection, role).endpoint;
  if (!own || !connection.endpoint || own === connection.endpoint) return url;
  const from = new URL(connection.endpoint).origin;
  return url.startsWith(from) ? `${new URL(own).origin}${url.slice(from.length)}` : url;
}

function clientConfig(connection: SqsConnection, maxAttempts = connection.sdkMaxAttempts) {
  return {
    ...(connection.endpoint !== undefined && { endpoint: connection.endpoint }),
    ...(connection.region !== undefined && { region: connection.region }),
    // The emulators accept anything; real AWS uses the default chain (never passed around).
    ...(connection.implementation !== 'aws' && { credentials: EMULATOR_CREDENTIALS }),
    maxAttempts,
    requestHandler: {
      connectionTimeout: connection.connectTimeoutMs,
      // Long polls wait up to waitTimeSeconds before answering; shorter calls get their own deadline.
      requestTimeout: connection.waitTimeSeconds * 1000 + connection.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}

/** `admin`: topology housekeeping (create, count, delete), where SDK retries hide nothing recorded. */
export function sqsClient(connection: SqsConnection, admin = false): SQSClient {
  return new SQSClient(clientConfig(connection, admin ? Math.max(3, connection.sdkMaxAttempts) : undefined));
}

export function snsClient(connection: SqsConnection, admin = false): SNSClient {
  return new SNSClient(clientConfig(connection, admin ? Math.max(3, connection.sdkMaxAttempts) : undefined));
}

/** A deadline for one request (sends, deletes, visibility changes), optionally tied to a consumer's life. */
export function deadline(connection: SqsConnection, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(connection.requestTimeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/** The AWS error code of a service error (`QueueDoesNotExist`, `ReceiptHandleIsInvalid`, …). */
export function errorName(error: unknown): string {
  return (error as AwsErrorShape | undefined)?.name ?? 'Error';
}

/**
 * What a failed request means for its outcome. `fail` only when the service definitely did not act:
 * a 4xx answer to a single attempt (validation, missing queue, invalid receipt handle, throttling),
 * or no connection at all (nothing was sent). Everything else — timeouts, resets, 5xx, an answer to
 * a retried request — is `info`: the service may have acted.
 */
export function outcomeOf(
  error: unknown,
  connection: SqsConnection,
): { status: 'fail' | 'info'; error: string } {
  const e = (error ?? {}) as AwsErrorShape;
  const text = `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${describeError(error)}`;
  const attempts = e.$metadata?.attempts ?? (connection.sdkMaxAttempts === 1 ? 1 : undefined);
  const single = attempts === 1;
  const status = e.$metadata?.httpStatusCode;
  if (single && status !== undefined && status >= 400 && status < 500 && e.$fault === 'client') {
    return { status: 'fail', error: text };
  }
  const refused = e.code === 'ECONNREFUSED' || /did not establish a connection/.test(e.message ?? '');
  if (single && refused) return { status: 'fail', error: `${text} (nothing was sent)` };
  return { status: 'info', error: text };
}

/** Queue and topic names: letters, digits, `-` and `_` only. */
export function sanitise(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '-');
}

export const MAX_QUEUE_NAME = 80;

/**
 * Names for one case: `<prefix>-<case id>-<nonce>-<group>[-dlq][.fifo]`, at most 80 characters,
 * the case id cut first. The nonce keeps reruns of a case id (and parallel runs) apart, and AWS
 * refuses a queue name reused within 60 seconds of its deletion.
 */
export class CaseNames {
  readonly nonce = randomBytes(3).toString('hex');
  constructor(
    private readonly prefix: string,
    private readonly caseId: string,
    private readonly fifo: boolean,
  ) {}

  private fit(suffix: string, max: number): string {
    const head = `${this.prefix}-${sanitise(this.caseId)}`;
    return `${head.slice(0, Math.max(1, max - suffix.length))}${suffix}`;
  }

  queue(group: string, deadLetter = false): string {
    const suffix = `-${this.nonce}-${sanitise(group).slice(0, 20)}${deadLetter ? '-dlq' : ''}${this.fifo ? '.fifo' : ''}`;
    return this.fit(suffix, MAX_QUEUE_NAME);
  }

  topic(): string {
    return this.fit(`-${this.nonce}`, MAX_QUEUE_NAME);
  }
}

/** The last path segment of a queue URL (its name). */
export function queueNameOf(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}
