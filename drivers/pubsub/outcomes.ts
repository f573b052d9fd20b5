/**
 * What a Pub/Sub client's answers mean for the history (pure: unit-tested without a broker). gRPC
 * status codes decide whether a failed publish definitely stored nothing (`fail`) or may have
 * (`info`); `ackWithResponse` decides an ack's outcome only on exactly-once subscriptions.
 */
import type { AckOutcome, SendOutcome } from '../driver.ts';

/** gRPC codes a publish can end with that say the server stored nothing. */
const REFUSED = new Set([
  3, // INVALID_ARGUMENT
  5, // NOT_FOUND (topic)
  7, // PERMISSION_DENIED
  8, // RESOURCE_EXHAUSTED (quota: rejected)
  9, // FAILED_PRECONDITION
  11, // OUT_OF_RANGE
  12, // UNIMPLEMENTED
  16, // UNAUTHENTICATED
]);

export function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A publish that threw: refused by the server or by the client before sending (`fail`), else unknown (`info`). */
export function publishFailure(error: unknown): SendOutcome {
  const code = grpcCode(error);
  const text = message(error);
  if (code !== undefined && REFUSED.has(code)) return { status: 'fail', error: text };
  // The client refuses a paused ordering key before sending anything.
  if (/resumePublishing|Unable to publish for key/i.test(text)) return { status: 'fail', error: text };
  return { status: 'info', error: code === undefined ? text : `gRPC ${code}: ${text}` };
}

/** AckError codes of @google-cloud/pubsub (exactly-once subscriptions). */
type AckErrorCode = 'PERMISSION_DENIED' | 'FAILED_PRECONDITION' | 'INVALID' | 'OTHER' | string;

/**
 * An `ackWithResponse` / `nackWithResponse` that resolved. On an exactly-once subscription the
 * client resolves only once the server confirmed (`ok`); otherwise it resolves SUCCESS even when
 * the Acknowledge RPC failed, so nothing is known (`info`).
 */
export function acknowledged(exactlyOnce: boolean, what: 'ack' | 'nack'): AckOutcome {
  if (exactlyOnce) return { status: 'ok' };
  return {
    status: 'info',
    error: `${what} sent; on a subscription without exactly-once delivery the client reports success whether or not the server took it`,
  };
}

/** An `ackWithResponse` / `nackWithResponse` that threw (exactly-once subscriptions only). */
export function ackFailure(error: unknown): AckOutcome {
  const code = (error as { errorCode?: AckErrorCode } | null)?.errorCode;
  const text = message(error);
  // The client gave up retrying transient errors: the server may have applied it.
  if (code === 'OTHER' || /retried for too long/i.test(text)) return { status: 'info', error: text };
  if (code === 'INVALID' || code === 'PERMISSION_DENIED' || code === 'FAILED_PRECONDITION')
    return { status: 'fail', error: `${code}: ${text}` };
  return { status: 'info', error: text };
}
