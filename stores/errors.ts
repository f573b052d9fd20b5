/**
 * What a store call's failure means for the caller, which is what a scenario records: a definite
 * failure (the statement did not take effect: `StoreQueryError`, a `fail` if unexpected) or an
 * unreachable store (`StoreUnavailableError`: an `info`, since the outcome may be unknown).
 */
import { BrokerproofError, describeError } from '../core/errors.ts';

/**
 * Where the connection was lost, which decides what the caller knows:
 * - `connect`: nothing was sent; nothing happened.
 * - `transaction`: inside a transaction before its COMMIT: the server rolls it back; nothing happened.
 * - `statement`: a statement outside a transaction was sent: it may or may not have taken effect.
 * - `commit`: COMMIT was sent and not answered: the transaction may or may not have committed.
 */
export type StoreStage = 'connect' | 'transaction' | 'statement' | 'commit';

/** The store could not be reached, or the connection broke or timed out mid-call. */
export class StoreUnavailableError extends BrokerproofError {
  readonly stage: StoreStage;
  /** The errno (ECONNREFUSED) or SQLSTATE (57P01) behind it, when there is one. */
  readonly code: string | undefined;
  constructor(message: string, options: { stage: StoreStage; code?: string | undefined; cause?: unknown }) {
    super(message, {
      cause: options.cause,
      hint: 'Is the store up (`brokerproof brokers status`), or is a fault cutting it off?',
    });
    this.stage = options.stage;
    this.code = options.code;
  }

  /** True when the call may have taken effect (a statement or COMMIT without an answer). */
  get outcomeUnknown(): boolean {
    return this.stage === 'statement' || this.stage === 'commit';
  }
}

/** The store answered with an error: the statement (or transaction) certainly did not take effect. */
export class StoreQueryError extends BrokerproofError {
  /** SQLSTATE, e.g. `23505` (unique violation), `40001` (serialization failure). */
  readonly code: string | undefined;
  /** The violated constraint's name, for integrity errors. */
  readonly constraint: string | undefined;
  constructor(
    message: string,
    options: { code?: string | undefined; constraint?: string | undefined; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.code = options.code;
    this.constraint = options.constraint;
  }
}

const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs that end the session: the connection is gone whatever the statement was. */
const SESSION_ENDING = new Set([
  '57P01', // admin_shutdown (a fast shutdown)
  '57P02', // crash_shutdown (another backend crashed, or was killed)
  '57P03', // cannot_connect_now (starting up, recovering)
  '57P05', // idle_session_timeout
  '25P03', // idle_in_transaction_session_timeout
  '53300', // too_many_connections
]);

// node-postgres reports a lost or timed-out connection by message only.
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout expired|timeout exceeded when trying to connect|Query read timeout|is not queryable|Client was closed|Connection ended|read ECONNRESET|socket hang up/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True for an error that says the store was unreachable — a `StoreUnavailableError`, or a raw
 * node-postgres connection failure — so the caller records `info`, not `fail`.
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (error instanceof StoreQueryError) return false;
  const code = codeOf(error);
  if (code && /^[0-9A-Z]{5}$/.test(code) && !NETWORK_ERRNOS.has(code)) {
    return code.startsWith('08') || SESSION_ENDING.has(code);
  }
  if (code && NETWORK_ERRNOS.has(code)) return true;
  // Node reports a failed connect to a name with several addresses as an AggregateError.
  if (error instanceof AggregateError) return error.errors.some(isStoreUnavailable);
  return error instanceof Error && UNAVAILABLE_MESSAGES.test(error.message);
}

/**
 * The typed error for a failed store call. Errors already typed, and errors that did not come from
 * the store (a caller's own, thrown inside a transaction), pass through unchanged.
 */
export function toStoreError(error: unknown, stage: StoreStage, what: string): unknown {
  if (error instanceof StoreUnavailableError || error instanceof StoreQueryError) return error;
  const code = codeOf(error);
  if (isStoreUnavailable(error)) {
    return new StoreUnavailableError(`${what}: the store is unreachable (${describeError(error)})`, {
      stage,
      code,
      cause: error,
    });
  }
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    const constraint = (error as { constraint?: unknown }).constraint;
    return new StoreQueryError(`${what}: ${describeError(error)} (SQLSTATE ${code})`, {
      code,
      constraint: typeof constraint === 'string' ? constraint : undefined,
      cause: error,
    });
  }
  return error;
}
