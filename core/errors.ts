/**
 * Typed errors. Every error a user can cause or meet carries a message that says what was wrong and
 * what to do, an exit code (2: could not decide), and the underlying `cause` when there is one.
 */

export interface BrokerproofErrorOptions {
  cause?: unknown;
  /** What the user can do about it; printed under the message. */
  hint?: string;
}

export class BrokerproofError extends Error {
  readonly exitCode: number = 2;
  readonly hint: string | undefined;
  constructor(message: string, options: BrokerproofErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Bad command-line usage: unknown option values, missing arguments. */
export class UsageError extends BrokerproofError {}

/** A configuration file or value that does not fit the schema. */
export class ConfigError extends BrokerproofError {}

/** A history file that cannot be read or has a malformed line. */
export class HistoryFormatError extends BrokerproofError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  constructor(message: string, options: BrokerproofErrorOptions & { file?: string; line?: number } = {}) {
    const where = options.file ? `${options.file}${options.line ? `:${options.line}` : ''}: ` : '';
    super(`${where}${message}`, options);
    this.file = options.file;
    this.line = options.line;
  }
}

/** A broker that could not be reached or provisioned. */
export class BrokerUnavailableError extends BrokerproofError {}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A case's topology (queues, topics, streams) could not be created; what was made is removed. */
export class TopologyError extends BrokerproofError {}

/**
 * Creates a case's topology; when that fails, removes whatever was made and says what failed — a
 * half-made topology must not outlive its case.
 */
export async function createOrClean<T extends { dispose(): Promise<void> }>(
  topology: T,
  create: (topology: T) => Promise<void>,
  what: string,
): Promise<T> {
  try {
    await create(topology);
    return topology;
  } catch (error) {
    await topology.dispose().catch(() => {});
    throw new TopologyError(`cannot create ${what}: ${describeError(error)}`, {
      cause: error,
      hint: 'Check that the broker is up (`brokerproof brokers status`) and that the client may create resources there.',
    });
  }
}
