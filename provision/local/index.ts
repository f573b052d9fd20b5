/**
 * Native brokers on this machine, programmatically: what `brokerproof brokers up|down|status` runs,
 * and what drivers and a vitest globalSetup call.
 *
 *   const { failures } = await brokersUp({ only: ['kafka'] });
 *   const kafka = endpointsFor('kafka');   // { brokers: ['127.0.0.1:9092'], toxiproxy: {...}, roles: {...} }
 *   await brokersDown();
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { BrokerUnavailableError, describeError, UsageError } from '../../core/errors.ts';
import {
  BROKER_NAMES,
  type BrokerName,
  type ClientRole,
  type EndpointMap,
  type EndpointOf,
  isBrokerName,
  isStoreName,
} from '../endpoints.ts';
import { type PortPlan, resolvePorts } from '../ports.ts';
import { proxyLayout } from '../proxies.ts';
import { resolveVersions, type VersionPlan } from '../versions.ts';
import type { Log } from './install.ts';
import { withStateLock } from './lock.ts';
import { resolvePaths } from './paths.ts';
import { findOwned, isPaused, killOwned, portAnswers, waitForExit } from './processes.ts';
import type { Installation, LocalContext, ServiceName } from './service.ts';
import {
  ensureProxy,
  liveRecord,
  localEndpoint,
  SERVICES,
  ServiceStartError,
  startService,
  stateDirOf,
  stopService,
  toxiproxyApi,
  toxiproxyApiUrl,
} from './supervisor.ts';

export interface LocalOptions {
  /** Environment to read ports, versions and paths from (default process.env). */
  env?: NodeJS.ProcessEnv;
  versions?: Partial<VersionPlan>;
  /** Ports to use instead of the environment's (tests run an isolated set on shifted ports). */
  ports?: PortPlan;
  /** State directory instead of BROKERPROOF_STATE_DIR / `.brokers` (pids, configs, data, logs). */
  stateDir?: string;
  /** Progress lines (default: none). The CLI prints them on stderr. */
  log?: (line: string) => void;
}

export interface UpOptions extends LocalOptions {
  only?: readonly BrokerName[];
}

export interface BrokerFailure {
  broker: ServiceName;
  message: string;
  hint?: string | undefined;
}

export interface UpResult {
  /** Brokers that are up and healthy (toxiproxy not included). */
  up: BrokerName[];
  failures: BrokerFailure[];
  /**
   * Brokers this machine cannot run and brokerproof cannot install (the Pub/Sub emulator without
   * the Cloud SDK), with the reason: reported, not failed.
   */
  unavailable: BrokerFailure[];
  /** Milliseconds per service to install + start + first healthy round trip, and `total`. */
  timings: Record<string, number>;
  status: StatusReport;
}

export interface BrokerStatus {
  /** `store`: PostgreSQL, which scenarios keep state in; no driver runs on it. */
  kind: 'broker' | 'store';
  up: boolean;
  endpoint: string;
  proxied: boolean;
  version: string | null;
  pid: number | null;
  paused: boolean;
  upstream: string;
  proxyEnabled: boolean | null;
  log: string | null;
  /**
   * The producers' and consumers' own proxies (`proxied`: it exists and leads to the broker). Absent
   * for a store: its clients share its one proxy.
   */
  roles?: Record<ClientRole, RoleStatus> | undefined;
}

export interface RoleStatus {
  endpoint: string;
  proxy: string;
  proxied: boolean;
  proxyEnabled: boolean | null;
}

export interface ProxyStatus {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: string[];
}

export interface StatusReport {
  brokers: Partial<Record<BrokerName, BrokerStatus>>;
  toxiproxy: {
    up: boolean;
    endpoint: string;
    version: string | null;
    pid: number | null;
    proxies: ProxyStatus[];
  };
}

export function localContext(options: LocalOptions = {}): LocalContext {
  const env = options.env ?? process.env;
  const paths = resolvePaths(env);
  if (options.stateDir) paths.state = resolve(options.stateDir);
  return {
    paths,
    ports: options.ports ?? resolvePorts(env),
    versions: resolveVersions(env, options.versions),
    env,
  };
}

export function parseOnly(value: string | readonly string[] | undefined): BrokerName[] {
  if (value === undefined) return [...BROKER_NAMES];
  const names = (typeof value === 'string' ? value.split(',') : [...value])
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) return [...BROKER_NAMES];
  const unknown = names.filter((n) => !isBrokerName(n));
  if (unknown.length > 0) {
    throw new UsageError(`unknown broker${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, {
      hint: `Choose from ${BROKER_NAMES.join(', ')}.`,
    });
  }
  return BROKER_NAMES.filter((b) => names.includes(b));
}

function logger(options: LocalOptions, name: string): Log {
  const sink = options.log;
  return (message) => sink?.(`[${name}] ${message}`);
}

/**
 * Installs (cached), starts and health-checks Toxiproxy and the chosen brokers. Idempotent. A broker
 * that fails is reported in `failures` (with its log tail) while the others still come up; it throws
 * only when nothing can work (bad options, Toxiproxy itself failing is reported as every broker failing).
 */
export async function brokersUp(options: UpOptions = {}): Promise<UpResult> {
  const ctx = localContext(options);
  const only = parseOnly(options.only);
  const started = Date.now();
  return withStateLock(
    ctx.paths.state,
    async () => {
      const timings: Record<string, number> = {};
      const failures: BrokerFailure[] = [];
      const unavailable: BrokerFailure[] = [];
      const fail = (broker: ServiceName, error: unknown) => {
        const message = describeError(error);
        const hint = error instanceof BrokerUnavailableError ? error.hint : undefined;
        failures.push({ broker, message, hint });
        logger(options, broker)(`FAILED: ${message.split('\n')[0]}`);
      };
      const installs = new Map<ServiceName, Promise<Installation>>();
      for (const name of ['toxiproxy', ...only] as ServiceName[]) {
        const t0 = Date.now();
        const promise = SERVICES[name].install(ctx, logger(options, name));
        installs.set(name, promise);
        promise.then(
          () => {
            timings[`${name}.install`] = Date.now() - t0;
          },
          () => {},
        );
      }
      // Toxiproxy first: every broker's health check goes through it.
      let toxiproxyOk = false;
      try {
        const t0 = Date.now();
        const installation = await installs.get('toxiproxy')!;
        const outcome = await startService(
          ctx,
          SERVICES.toxiproxy,
          installation,
          logger(options, 'toxiproxy'),
        );
        timings.toxiproxy = Date.now() - t0;
        logger(
          options,
          'toxiproxy',
        )(outcome.already ? 'already running' : `up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        toxiproxyOk = true;
      } catch (error) {
        fail('toxiproxy', error);
      }
      const up: BrokerName[] = [];
      await Promise.all(
        only.map(async (broker) => {
          const log = logger(options, broker);
          const t0 = Date.now();
          try {
            const installation = await installs.get(broker)!.catch((error: unknown) => {
              if (!(SERVICES[broker].detectedOnly && error instanceof BrokerUnavailableError)) throw error;
              unavailable.push({ broker, message: describeError(error), hint: error.hint });
              return undefined;
            });
            if (!installation) {
              log('unavailable on this machine (see the reason below); skipped');
              return;
            }
            if (!toxiproxyOk)
              throw new BrokerUnavailableError('not started: Toxiproxy is not running (see its error above)');
            await ensureProxy(ctx, broker);
            const outcome = await startService(ctx, SERVICES[broker], installation, log);
            timings[broker] = Date.now() - t0;
            log(
              outcome.already
                ? `already running (pid ${outcome.record.pid}), healthy`
                : `up in ${((Date.now() - t0) / 1000).toFixed(1)} s — ${installation.version}, clients use ${localEndpoint(ctx, broker).address}`,
            );
            up.push(broker);
          } catch (error) {
            installs.get(broker)?.catch(() => {});
            fail(broker, error);
          }
        }),
      );
      timings.total = Date.now() - started;
      return {
        up: BROKER_NAMES.filter((b) => up.includes(b)),
        failures,
        unavailable,
        timings,
        status: await statusOf(ctx, only),
      };
    },
    {
      onWait: (holder) =>
        options.log?.(`waiting for another brokerproof process (${holder.split(' ')[0]}) to finish`),
    },
  );
}

export interface DownOptions extends LocalOptions {
  /** With `only`: stop Toxiproxy too (it is always stopped when `only` is absent). */
  toxiproxy?: boolean;
  only?: readonly BrokerName[];
  /** Also delete the brokers' data and logs. */
  purge?: boolean;
}

export interface DownResult {
  stopped: ServiceName[];
  /** Processes of ours that were still running after the stops and were killed. */
  strays: number[];
}

/**
 * Stops the chosen brokers (all, and Toxiproxy, when `only` is absent) — only processes we started,
 * found by recorded PID and by the owner marker in their environment. Keeps data unless `purge`.
 */
export async function brokersDown(options: DownOptions = {}): Promise<DownResult> {
  const ctx = localContext(options);
  const all = options.only === undefined || options.only.length === 0;
  const only = parseOnly(options.only);
  return withStateLock(ctx.paths.state, async () => {
    const stopped: ServiceName[] = [];
    const names: ServiceName[] = all || options.toxiproxy ? [...only, 'toxiproxy'] : only;
    await Promise.all(
      names
        .filter((n) => n !== 'toxiproxy')
        .map(async (name) => {
          if (await stopService(ctx, SERVICES[name], logger(options, name))) stopped.push(name);
        }),
    );
    if (
      names.includes('toxiproxy') &&
      (await stopService(ctx, SERVICES.toxiproxy, logger(options, 'toxiproxy')))
    ) {
      stopped.push('toxiproxy');
    }
    let strays: number[] = [];
    if (all) {
      const left = findOwned(ctx.paths.state);
      if (left.length > 0) {
        strays = left.map((p) => p.pid);
        for (const p of left) killOwned(undefined, p.owner);
        await waitForExit(strays, 5000);
      }
    }
    if (options.purge)
      for (const name of names) rmSync(stateDirOf(ctx, name), { recursive: true, force: true });
    for (const name of stopped) logger(options, name)('stopped');
    return { stopped, strays };
  });
}

/** What runs now: no lock, no side effects; a TCP check per broker plus Toxiproxy's proxy list. */
export async function brokersStatus(
  options: { only?: readonly BrokerName[] } & LocalOptions = {},
): Promise<StatusReport> {
  const ctx = localContext(options);
  return statusOf(ctx, parseOnly(options.only));
}

async function statusOf(ctx: LocalContext, only: readonly BrokerName[]): Promise<StatusReport> {
  const api = toxiproxyApi(ctx);
  const toxiRecord = liveRecord(ctx, 'toxiproxy');
  let proxies: ProxyStatus[] = [];
  let toxiVersion: string | null = null;
  try {
    toxiVersion = await api.version();
    const all = await api.proxies();
    proxies = Object.values(all)
      .map((p) => ({
        name: p.name,
        listen: p.listen,
        upstream: p.upstream,
        enabled: p.enabled,
        toxics: p.toxics.map((t) => t.name),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    toxiVersion = null;
  }
  const brokers: StatusReport['brokers'] = {};
  await Promise.all(
    only.map(async (broker) => {
      const record = liveRecord(ctx, broker);
      const ports = ctx.ports[broker];
      const { host } = ctx.ports;
      const upstream = `${host}:${ports.upstream}`;
      const listening = record ? await portAnswers(host, ports.upstream, 1000) : false;
      const [own, ...roles] = proxyLayout(ctx.ports, broker).map((layout) => {
        const proxy = proxies.find((p) => p.name === layout.name);
        return {
          endpoint: `${host}:${layout.listen}`,
          proxy: layout.name,
          proxied:
            !!proxy &&
            proxy.upstream === `${host}:${layout.upstream}` &&
            proxy.listen.endsWith(`:${layout.listen}`),
          proxyEnabled: proxy ? proxy.enabled : null,
        };
      });
      brokers[broker] = {
        kind: isStoreName(broker) ? 'store' : 'broker',
        up: !!record && listening,
        endpoint: localEndpoint(ctx, broker).address,
        proxied: own!.proxied,
        version: record?.version ?? null,
        pid: record?.pid ?? null,
        paused: record ? isPaused(record.pid) : false,
        upstream,
        proxyEnabled: own!.proxyEnabled,
        log: record?.logFile ?? null,
        roles: roles.length === 2 ? { producers: roles[0]!, consumers: roles[1]! } : undefined,
      };
    }),
  );
  const ordered: StatusReport['brokers'] = {};
  for (const b of only) ordered[b] = brokers[b];
  return {
    brokers: ordered,
    toxiproxy: {
      up: toxiVersion !== null,
      endpoint: toxiproxyApiUrl(ctx),
      version: toxiRecord?.version ?? toxiVersion,
      pid: toxiRecord?.pid ?? null,
      proxies,
    },
  };
}

/** The client endpoint (through Toxiproxy) of a native broker; does not check that it runs. */
export function endpointsFor<B extends BrokerName>(broker: B, options: LocalOptions = {}): EndpointOf<B> {
  return localEndpoint(localContext(options), broker);
}

/** Endpoints of several native brokers. */
export function endpointMap(only?: readonly BrokerName[], options: LocalOptions = {}): EndpointMap {
  const ctx = localContext(options);
  const map: EndpointMap = {};
  for (const broker of parseOnly(only)) (map as Record<string, unknown>)[broker] = localEndpoint(ctx, broker);
  return map;
}

export type { LocalContext };
export { ServiceStartError };
