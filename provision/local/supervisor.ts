/**
 * Starting, checking and stopping one native server: the shared mechanics behind `brokers up/down`
 * and process control. A start is idempotent (a healthy running server is left alone), waits for a
 * real round trip through its Toxiproxy proxy, and fails with the tail of the server's log.
 */
import { join } from 'node:path';
import { BrokerUnavailableError, describeError } from '../../core/errors.ts';
import { type BrokerEndpoint, type BrokerName, buildEndpoint, type EndpointOf } from '../endpoints.ts';
import { healthThroughEveryProxy } from '../health.ts';
import { proxyLayout, roleUpstream } from '../proxies.ts';
import { ToxiproxyApi } from '../toxiproxy-api.ts';
import { elasticmq } from './brokers/elasticmq.ts';
import { kafka } from './brokers/kafka.ts';
import { moto } from './brokers/moto.ts';
import { nats } from './brokers/nats.ts';
import { postgres } from './brokers/postgres.ts';
import { pubsub } from './brokers/pubsub.ts';
import { rabbitmq } from './brokers/rabbitmq.ts';
import { toxiproxy } from './brokers/toxiproxy.ts';
import type { Log } from './install.ts';
import {
  isAlive,
  isOurs,
  isPaused,
  logTail,
  type ProcessRecord,
  portAnswers,
  readRecord,
  removeRecord,
  signalGroup,
  signalSafe,
  sleep,
  spawnDetached,
  stopOwned,
  waitForExit,
  writeRecord,
} from './processes.ts';
import type { Installation, LocalContext, LocalService, ServiceName } from './service.ts';

export const SERVICES: Record<ServiceName, LocalService> = {
  kafka,
  rabbitmq,
  nats,
  elasticmq,
  moto,
  pubsub,
  postgres,
  toxiproxy,
};

export function stateDirOf(ctx: LocalContext, name: ServiceName): string {
  return join(ctx.paths.state, name);
}

export function toxiproxyApiUrl(ctx: LocalContext): string {
  return `http://${ctx.ports.host}:${ctx.ports.toxiproxy}`;
}

export function toxiproxyApi(ctx: LocalContext): ToxiproxyApi {
  return new ToxiproxyApi(toxiproxyApiUrl(ctx));
}

/** The client endpoint of a native broker: its Toxiproxy listeners (its own, and each role's). */
export function localEndpoint<B extends BrokerName>(ctx: LocalContext, broker: B): EndpointOf<B> {
  const { host } = ctx.ports;
  const apiUrl = toxiproxyApiUrl(ctx);
  const [own, producers, consumers] = proxyLayout(ctx.ports, broker);
  const role = (p: typeof own) => ({
    port: p!.listen,
    toxiproxy: { apiUrl, proxy: p!.name },
    upstream: { host, port: roleUpstream(ctx.ports, broker, p!.role) },
  });
  return buildEndpoint(broker, {
    host,
    ...role(own),
    roles: producers && consumers ? { producers: role(producers), consumers: role(consumers) } : undefined,
  });
}

/**
 * Signals the service's process group and its `members` outside it: kill, pause and resume must
 * reach the whole server, not its leader only.
 */
export function signalService(service: LocalService, record: ProcessRecord, signal: NodeJS.Signals): void {
  signalGroup(record.pid, signal);
  for (const pid of service.members?.(record.owner) ?? []) signalSafe(pid, signal);
}

/** SIGKILL to the service's members left over (after a stop, or a crash of their leader); waits for them. */
export async function killMembers(service: LocalService, stateDir: string): Promise<void> {
  const left = service.members?.(stateDir) ?? [];
  if (left.length === 0) return;
  for (const pid of left) {
    signalSafe(pid, 'SIGKILL');
    signalSafe(pid, 'SIGCONT');
  }
  await waitForExit(left, 10_000);
}

/** The live record of a service we started, or undefined (a stale record is ignored). */
export function liveRecord(ctx: LocalContext, name: ServiceName): ProcessRecord | undefined {
  const record = readRecord(stateDirOf(ctx, name));
  if (record && isOurs(record.pid, record.owner)) return record;
  return undefined;
}

export async function checkHealth(ctx: LocalContext, name: ServiceName, timeoutMs: number): Promise<void> {
  if (name === 'toxiproxy') {
    const version = await toxiproxyApi(ctx).version();
    if (!version) throw new Error('Toxiproxy answered without a version');
    return;
  }
  await healthThroughEveryProxy(localEndpoint(ctx, name) as BrokerEndpoint, timeoutMs);
}

/** Creates (or repairs) the broker's proxies and clears any toxic or partition left behind. */
export async function ensureProxy(ctx: LocalContext, broker: BrokerName): Promise<void> {
  const api = toxiproxyApi(ctx);
  const { host } = ctx.ports;
  for (const proxy of proxyLayout(ctx.ports, broker)) {
    try {
      await api.ensureProxy({
        name: proxy.name,
        listen: `${host}:${proxy.listen}`,
        upstream: `${host}:${proxy.upstream}`,
      });
      await api.heal(proxy.name);
    } catch (error) {
      const variable = `BROKERPROOF_${broker.toUpperCase()}_${proxy.role ? `${proxy.role.toUpperCase()}_` : ''}PORT`;
      throw new BrokerUnavailableError(
        `could not create the Toxiproxy proxy ${proxy.name} ${host}:${proxy.listen} → ${proxy.upstream} for ${broker}: ${describeError(error)}`,
        {
          cause: error,
          hint: `Is port ${proxy.listen} taken by another program? Free it, or set ${variable}.`,
        },
      );
    }
  }
}

export interface StartOutcome {
  record: ProcessRecord;
  /** It was already running and healthy. */
  already: boolean;
  ms: number;
}

export class ServiceStartError extends BrokerUnavailableError {
  readonly logTail: string;
  constructor(message: string, options: { hint?: string; cause?: unknown; logTail?: string }) {
    super(
      options.logTail ? `${message}\n  last lines of its log:\n${indent(options.logTail)}` : message,
      options,
    );
    this.logTail = options.logTail ?? '';
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    | ${line}`)
    .join('\n');
}

function tailOf(service: LocalService, stateDir: string, record?: ProcessRecord): string {
  const files = [record?.logFile, ...(service.extraLogs?.(stateDir) ?? [])].filter((f): f is string => !!f);
  return files
    .map((f) => logTail(f, 25))
    .filter((t) => t)
    .join('\n');
}

/**
 * Makes sure the service runs and is healthy. Keeps its data directory. A running, healthy instance
 * of the same version is left alone (resumed first if it was paused).
 */
export async function startService(
  ctx: LocalContext,
  service: LocalService,
  installation: Installation,
  log: Log,
): Promise<StartOutcome> {
  const started = Date.now();
  const stateDir = stateDirOf(ctx, service.name);
  const existing = readRecord(stateDir);
  if (existing && isOurs(existing.pid, existing.owner)) {
    if (isPaused(existing.pid)) {
      log('was paused; resuming it');
      signalService(service, existing, 'SIGCONT');
    }
    if (existing.version !== installation.version) {
      log(`running version ${existing.version}, ${installation.version} wanted: restarting`);
      await stopService(ctx, service, log);
    } else {
      try {
        await checkHealth(ctx, service.name, 30_000);
        return { record: existing, already: true, ms: Date.now() - started };
      } catch (error) {
        log(
          `running (pid ${existing.pid}) but unhealthy (${describeError(error).split('\n')[0]}): restarting`,
        );
        await stopService(ctx, service, log);
      }
    }
  } else if (existing) {
    // A record whose process died (a crash, a reboot): clear whatever it left.
    await stopOwned(undefined, existing.owner, 2000);
    await killMembers(service, stateDir);
    removeRecord(stateDir);
  }
  const ports = [service.upstreamPort(ctx.ports), ...service.extraPorts(ctx.ports)];
  for (const port of ports) {
    if (await portAnswers(ctx.ports.host, port, 500)) {
      throw new ServiceStartError(
        `port ${ctx.ports.host}:${port} that ${service.name} needs is already in use by another program`,
        {
          hint: 'Stop that program, or move brokerproof to other ports (BROKERPROOF_*_PORT variables; see docs/brokers.md).',
        },
      );
    }
  }
  const spec = await service.prepare(ctx, installation, stateDir, log);
  const record = spawnDetached(service.name, stateDir, installation.version, spec);
  writeRecord(stateDir, record);
  log(`started (pid ${record.pid}), waiting for it to be healthy`);
  await waitHealthy(ctx, service, record, service.startTimeoutMs);
  return { record, already: false, ms: Date.now() - started };
}

/** Waits for a real round trip; fails early with the log tail if the process dies. */
export async function waitHealthy(
  ctx: LocalContext,
  service: LocalService,
  record: ProcessRecord,
  timeoutMs: number,
): Promise<void> {
  const stateDir = stateDirOf(ctx, service.name);
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempt = 0;
  while (Date.now() < deadline) {
    if (!isAlive(record.pid)) {
      await sleep(200);
      throw new ServiceStartError(`${service.name} exited during startup`, {
        logTail: tailOf(service, stateDir, record),
        hint: `Its full log is ${record.logFile}.`,
      });
    }
    // A port check first: cheap, and it keeps clients from retrying against a server still booting.
    if (await portAnswers(ctx.ports.host, service.upstreamPort(ctx.ports), 500)) {
      try {
        await checkHealth(ctx, service.name, Math.max(1000, Math.min(20_000, deadline - Date.now())));
        return;
      } catch (error) {
        lastError = error;
      }
    }
    attempt++;
    await sleep(Math.min(1000, 100 * attempt));
  }
  throw new ServiceStartError(
    `${service.name} did not become healthy within ${Math.round(timeoutMs / 1000)} s${lastError ? ` (last error: ${describeError(lastError).split('\n')[0]})` : ''}`,
    {
      logTail: tailOf(service, stateDir, record),
      hint: `Its full log is ${record.logFile}. It is left running; \`brokerproof brokers down\` stops it.`,
    },
  );
}

/** Stops the service (gracefully when it can) and every process it left; keeps its data. */
export async function stopService(ctx: LocalContext, service: LocalService, log: Log): Promise<boolean> {
  const stateDir = stateDirOf(ctx, service.name);
  const record = readRecord(stateDir);
  const owned = record && isOurs(record.pid, record.owner);
  if (owned && record) {
    signalService(service, record, 'SIGCONT');
    if (service.gracefulStop) {
      try {
        await service.gracefulStop(ctx, record, stateDir);
      } catch (error) {
        log(`graceful stop failed (${describeError(error)}); signalling it`);
      }
    }
  }
  await stopOwned(owned ? record?.pid : undefined, stateDir, service.stopGraceMs);
  await killMembers(service, stateDir);
  removeRecord(stateDir);
  return !!owned;
}
