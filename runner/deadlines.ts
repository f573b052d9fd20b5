/**
 * Every phase of a case has a deadline, and the case has an overall one. Past a deadline the case
 * ends "unknown" with the reason; on Ctrl-C every phase gives up at once and the case heals and
 * tears down within a bounded time.
 */
import type { Workload } from '../scenarios/scenario.ts';

export interface CaseTimeouts {
  /** Creating the topology and starting consumers. */
  setupMs: number;
  /**
   * The load phase may last this much longer than planned (a paced load lasts as long as its fault
   * schedule; an unpaced one as long as sending takes). Producers stop retrying at the deadline.
   */
  loadMs: number;
  /** Healing every fault and waiting for crashed consumers to come back. */
  healMs: number;
  /**
   * The drain gives up after this long (the verdict is then "unknown" unless something is
   * definitely wrong) — unless consumers are still making progress: then it goes on while they
   * do, up to DRAIN_PROGRESS_FACTOR times this.
   */
  drainMs: number;
  /** Consumers count as quiet after this long without a delivery, when the broker cannot report its backlog. */
  quietMs: number;
  /** Stopping consumers and deleting what the case created. */
  teardownMs: number;
  /** The whole case, all phases together (0: the sum of the phases' deadlines). */
  caseMs: number;
  /** A crashed consumer is started again after this long. */
  restartDelayMs: number;
}

export const DEFAULT_TIMEOUTS: CaseTimeouts = {
  setupMs: 60_000,
  loadMs: 60_000,
  healMs: 30_000,
  drainMs: 20_000,
  quietMs: 2_000,
  teardownMs: 30_000,
  caseMs: 0,
  restartDelayMs: 30,
};

/**
 * How far consumers still working through a backlog may stretch the drain (a slow broker or a
 * transaction per message behind 2 000 messages): to this many times `drainMs`.
 */
export const DRAIN_PROGRESS_FACTOR = 3;
/** The backlog `DRAIN_PROGRESS_FACTOR` is meant for. */
const DRAIN_FACTOR_BACKLOG = 2_000;

/**
 * The slowest sending a case's load deadline allows for, per message: 4 000 messages/s, a quarter
 * of what the memory broker managed for a case of 10^6 messages on a loaded 2-core machine (whose
 * load passed a fixed 65 s deadline with 14 304 still unsent). A driver whose broker is slower
 * declares its own rate (`DriverCapabilities.slowestSendRate`).
 */
export const LOAD_MS_PER_MESSAGE = 0.25;

/**
 * The load phase's deadline: the planned load, the slack `loadMs`, and time to send every message
 * at `slowestSendRate` messages/s (default: 1 / LOAD_MS_PER_MESSAGE ms).
 */
export function loadCapMs(
  loadMs: number,
  workload: Pick<Workload, 'messages' | 'loadMs'>,
  slowestSendRate?: number,
): number {
  const msPerMessage =
    slowestSendRate && slowestSendRate > 0
      ? Math.max(LOAD_MS_PER_MESSAGE, 1000 / slowestSendRate)
      : LOAD_MS_PER_MESSAGE;
  // Whole milliseconds: AbortSignal.timeout takes nothing else.
  return Math.ceil(workload.loadMs + loadMs + workload.messages * msPerMessage);
}

/**
 * The longest a drain may go on while consumers still make progress: `DRAIN_PROGRESS_FACTOR` ×
 * `drainMs`, plus the processing time the workload itself asks for beyond a backlog of 2 000 (each
 * further message at its longest processing time, shared by a group's consumers). A case of 10^5 messages otherwise had its drain
 * cut off while its one consumer was still working through the backlog at a steady pace.
 */
export function drainCapMs(
  drainMs: number,
  workload: Pick<Workload, 'messages' | 'maxProcessingMs' | 'consumersPerGroup'>,
): number {
  // The factor already covers a backlog of 2 000 (see above); only messages beyond it add time.
  const beyond = Math.max(0, workload.messages - DRAIN_FACTOR_BACKLOG);
  const processingMs =
    (beyond * Math.max(0, workload.maxProcessingMs)) / Math.max(1, workload.consumersPerGroup);
  return Math.ceil(drainMs * DRAIN_PROGRESS_FACTOR + processingMs);
}

/** Once interrupted, healing and teardown each get at most this long, so Ctrl-C exits within 10 s. */
export const INTERRUPTED_STEP_MS = 3_000;

/** A phase ran past its deadline. */
export class DeadlineError extends Error {
  constructor(
    readonly phase: string,
    readonly ms: number,
    detail?: string,
  ) {
    super(`the ${phase} phase passed its deadline of ${formatSeconds(ms)}${detail ? ` (${detail})` : ''}`);
    this.name = 'DeadlineError';
  }
}

/** The case was interrupted (Ctrl-C, SIGTERM) or passed its overall deadline. */
export class CaseAbortedError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'CaseAbortedError';
  }
}

/**
 * Runs `work` until it settles, `ms` pass (DeadlineError, with `detail()` saying what was still
 * outstanding) or `signal` aborts (CaseAbortedError) — whichever comes first. Work that is given
 * up on goes on in the background; its results are no longer recorded by anyone waiting for it.
 */
export function withDeadline<T>(
  phase: string,
  ms: number,
  signal: AbortSignal,
  work: () => Promise<T>,
  detail?: () => string | undefined,
): Promise<T> {
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new DeadlineError(phase, ms, detail?.()));
    }, ms);
    const onAbort = () => {
      cleanup();
      reject(abortedError(signal));
    };
    function cleanup() {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    signal.addEventListener('abort', onAbort, { once: true });
    work().then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/** Like withDeadline, but never throws: cleanup steps log and move on. */
export async function bounded(
  what: string,
  ms: number,
  work: () => Promise<unknown>,
  log: (message: string) => void,
): Promise<void> {
  try {
    await withDeadline(what, ms, new AbortController().signal, work);
  } catch (e) {
    log(`${what}: ${(e as Error).message}`);
  }
}

function abortedError(signal: AbortSignal): CaseAbortedError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new CaseAbortedError(reason, { cause: signal.reason });
}

export function formatSeconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}
