/**
 * Process faults against native brokers, for the nemesis: kill -9, pause (SIGSTOP) / resume (SIGCONT),
 * and restart keeping the data directory — so durability across a crash can be tested. The Toxiproxy
 * proxy stays up throughout: clients see the broker vanish and come back at the same address.
 */
import { BrokerUnavailableError } from '../../core/errors.ts';
import type { BrokerName } from '../endpoints.ts';
import { type LocalOptions, localContext } from './index.ts';
import { withStateLock } from './lock.ts';
import {
  isAlive,
  isPaused,
  type ProcessRecord,
  portAnswers,
  signalGroup,
  signalSafe,
  sleep,
  waitForExit,
} from './processes.ts';
import { liveRecord, SERVICES, signalService, startService, stopService } from './supervisor.ts';

export interface ProcessTarget {
  broker: BrokerName;
  pid: number;
}

function requireRunning(
  broker: BrokerName,
  options: LocalOptions,
): ProcessTarget & { record: ProcessRecord } {
  const record = liveRecord(localContext(options), broker);
  if (!record) {
    throw new BrokerUnavailableError(`${broker} is not running (no live process of ours)`, {
      hint: `Start it with \`brokerproof brokers up --only ${broker}\`.`,
    });
  }
  return { broker, pid: record.pid, record };
}

/**
 * SIGKILL to the broker's process group — a crash: no shutdown hooks, no flush — and to its members
 * outside the group (PostgreSQL's backends): a backend outliving its postmaster would go on serving
 * its connection, and hold the shared memory a restart needs.
 */
export async function killBroker(broker: BrokerName, options: LocalOptions = {}): Promise<ProcessTarget> {
  const { record, ...target } = requireRunning(broker, options);
  const service = SERVICES[broker];
  signalService(service, record, 'SIGKILL');
  signalService(service, record, 'SIGCONT');
  if (!(await waitForExit([target.pid], 10_000))) {
    throw new BrokerUnavailableError(`${broker} (pid ${target.pid}) survived SIGKILL for 10 s`);
  }
  // A child forked while the first signals went out is found now its parent cannot fork any more.
  const rest = service.members?.(record.owner) ?? [];
  for (const pid of rest) signalSafe(pid, 'SIGKILL');
  if (!(await waitForExit(rest, 10_000))) {
    throw new BrokerUnavailableError(`${broker}: processes ${rest.join(', ')} survived SIGKILL for 10 s`);
  }
  // Gone means gone: its port refuses connections before this resolves.
  const ctx = localContext(options);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && (await portAnswers(ctx.ports.host, ctx.ports[broker].upstream, 200)))
    await sleep(50);
  return target;
}

/**
 * SIGSTOP to the broker's process group (and its members outside it): it keeps its connections
 * but answers nothing. Returns once the kernel shows the process stopped (a signal is delivered
 * asynchronously).
 */
export function pauseBroker(broker: BrokerName, options: LocalOptions = {}): ProcessTarget {
  const { record, ...target } = requireRunning(broker, options);
  const service = SERVICES[broker];
  // The leader first, so that it forks no child the sweep of its members would miss.
  signalGroup(target.pid, 'SIGSTOP');
  const deadline = Date.now() + 1000;
  while (!isPaused(target.pid) && Date.now() < deadline) Atomics.wait(pauseClock, 0, 0, 5);
  signalService(service, record, 'SIGSTOP');
  return target;
}

const pauseClock = new Int32Array(new SharedArrayBuffer(4));

/** SIGCONT: the paused broker carries on. */
export function resumeBroker(broker: BrokerName, options: LocalOptions = {}): ProcessTarget {
  const { record, ...target } = requireRunning(broker, options);
  signalService(SERVICES[broker], record, 'SIGCONT');
  return target;
}

export function isBrokerPaused(broker: BrokerName, options: LocalOptions = {}): boolean {
  const record = liveRecord(localContext(options), broker);
  return !!record && isPaused(record.pid);
}

export function isBrokerRunning(broker: BrokerName, options: LocalOptions = {}): boolean {
  const record = liveRecord(localContext(options), broker);
  return !!record && isAlive(record.pid);
}

export interface RestartOptions extends LocalOptions {
  /** How to stop it first: `kill` (SIGKILL, a crash — the default) or `graceful` (a clean shutdown). */
  stop?: 'kill' | 'graceful';
}

/**
 * Starts the broker again on its existing data directory and waits for a healthy round trip through
 * its proxy. Stops it first if it still runs (see `stop`). Resolves with the new process.
 */
export async function restartBroker(
  broker: BrokerName,
  options: RestartOptions = {},
): Promise<ProcessTarget & { ms: number }> {
  const ctx = localContext(options);
  const log = (line: string) => options.log?.(`[${broker}] ${line}`);
  const record = liveRecord(ctx, broker);
  if (record) {
    if ((options.stop ?? 'kill') === 'kill') await killBroker(broker, options);
    else await stopService(ctx, SERVICES[broker], log);
  }
  return startBroker(broker, options);
}

/** Starts a broker that was killed (or stopped) on its existing data; a no-op when it is healthy. */
export async function startBroker(
  broker: BrokerName,
  options: LocalOptions = {},
): Promise<ProcessTarget & { ms: number }> {
  const ctx = localContext(options);
  const log = (line: string) => options.log?.(`[${broker}] ${line}`);
  return withStateLock(ctx.paths.state, async () => {
    const installation = await SERVICES[broker].install(ctx, log);
    const outcome = await startService(ctx, SERVICES[broker], installation, log);
    return { broker, pid: outcome.record.pid, ms: outcome.ms };
  });
}
