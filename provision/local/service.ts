/** What native provisioning needs to know about one server it runs (a broker or Toxiproxy). */
import type { BrokerName } from '../endpoints.ts';
import type { PortPlan } from '../ports.ts';
import type { VersionPlan } from '../versions.ts';
import type { Log } from './install.ts';
import type { LocalPaths } from './paths.ts';
import type { ProcessRecord, SpawnSpec } from './processes.ts';

export type ServiceName = BrokerName | 'toxiproxy';

export interface LocalContext {
  paths: LocalPaths;
  ports: PortPlan;
  versions: VersionPlan;
  env: NodeJS.ProcessEnv;
}

export interface Installation {
  version: string;
  /** Service-specific: classpath dir, binary path, … */
  home: string;
}

export interface LocalService {
  name: ServiceName;
  /** The port the server itself listens on (Toxiproxy's API port for Toxiproxy). */
  upstreamPort(ports: PortPlan): number;
  /** Other ports it binds (controller, distribution, …), checked free before a start. */
  extraPorts(ports: PortPlan): number[];
  /**
   * Found on the machine, never installed (the Pub/Sub emulator ships only with the Cloud SDK):
   * when `install` cannot find it (BrokerUnavailableError), `brokers up` reports it unavailable with
   * the reason instead of failing, and the other brokers' runs and tests go on.
   */
  detectedOnly?: boolean;
  /** Idempotent; cheap when cached. */
  install(ctx: LocalContext, log: Log): Promise<Installation>;
  /** Writes its configuration into `stateDir` (keeping data) and says how to start it. */
  prepare(ctx: LocalContext, installation: Installation, stateDir: string, log: Log): Promise<SpawnSpec>;
  /** A graceful stop before the signals (RabbitMQ: rabbitmqctl stop). */
  gracefulStop?(ctx: LocalContext, record: ProcessRecord, stateDir: string): Promise<void>;
  /**
   * Processes of the server that signals to its process group and the owner marker both miss:
   * PostgreSQL's children each lead a session of their own and write their process titles over the
   * environment that carries the marker. Kill, pause, resume and stop reach these too.
   */
  members?(stateDir: string): number[];
  /** How long to wait for a stop before SIGKILL. */
  stopGraceMs: number;
  /** How long a fresh start may take to become healthy. */
  startTimeoutMs: number;
  /** Log files worth showing when it fails, besides its stdout/stderr log. */
  extraLogs?(stateDir: string): string[];
}
