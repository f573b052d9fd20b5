import type { ChildProcess } from 'node:child_process';
import { sleep } from '../core/clock.ts';
import type { History } from '../core/history-writer.ts';
import type { DriverSettings } from '../drivers/index.ts';
import type { HostPort } from '../provision/endpoints.ts';
import type { HandlerStoreConfig } from '../scenarios/kit/handler-store.ts';
import type { Workload } from '../scenarios/scenario.ts';
import type { StoreSpec } from './case-store.ts';
import type { IndexedCrash } from './consumer-client.ts';
import { collectWorkerEvents, spawnWorker } from './worker-pipe.ts';

/** What a consumer worker process needs; JSON, passed as its argument. */
export interface ConsumerWorkerSpec {
  driver: string;
  settings: DriverSettings;
  descriptor: Readonly<Record<string, unknown>>;
  name: string;
  group: string;
  /** The consumer's own proxy, when the case has per-consumer proxies (kept across restarts). */
  via?: HostPort | undefined;
  /** The scenario (found in the catalogue by name) and its variant: what the consumer step does. */
  scenario: string;
  variant: string;
  /** Your handler's module, run in place of the scenario's simulated processing (scenarios/kit/your-handler.ts). */
  handler?: string | undefined;
  /** Your handler's store (scenarios/kit/handler-store.ts), with the handler. */
  handlerStore?: HandlerStoreConfig | undefined;
  /** The case's store, when the scenario keeps one (its connection string comes in the environment). */
  store?: StoreSpec | undefined;
  workload: Workload;
  crashes: readonly IndexedCrash[];
  ackOnDelivery: boolean;
  pipeline: boolean;
  /** Where planned crashes are claimed (crash-claims.ts), shared by every consumer of the case. */
  claimsDir: string;
  epochMs: number;
  deliveriesSoFar: number;
}

// From the sources (tsx) or the built package (dist/): the worker is the sibling of this module.
const WORKER = new URL(
  `./consumer-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);
const STOP_GRACE_MS = 10_000;
/**
 * A consumer worker makes a few short-lived objects per message (the delivery, its step, promises).
 * With young-generation semi-spaces of 32 MB instead of V8's 16, it scavenges less often and
 * promotes less: on the NATS bench its CPU per message fell by about a tenth and its consume rate
 * rose in each of 6 alternating pairs of rounds, for about 30 MB more peak memory (docs/performance.md).
 */
const CONSUMER_WORKER_V8_FLAGS = ['--max-semi-space-size=32'];
const MAX_UNPLANNED_RESTARTS = 3;

/**
 * A consumer that lives in a child process. When it dies by SIGKILL (a planned crash, or a
 * nemesis) it is started again after `restartDelayMs`, continuing its delivery count so later
 * planned crashes still land. Its events reach the case history through the pipe.
 */
export class ProcessConsumer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private restarting: Promise<void> | undefined;
  private stopped = false;
  private deliveries = 0;
  private unplannedExits = 0;
  lastActivity = 0;

  constructor(
    private readonly spec: Omit<ConsumerWorkerSpec, 'deliveriesSoFar'>,
    private readonly history: History,
    private readonly restartDelayMs: number,
    private readonly log: (message: string) => void,
    /** Extra environment for the worker (the store's connection string). */
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get idle(): boolean {
    return this.restarting === undefined;
  }

  /** Starts the worker and resolves once its consumer is subscribed. */
  async start(): Promise<void> {
    const child = spawnWorker(WORKER, [JSON.stringify({ ...this.spec, deliveriesSoFar: this.deliveries })], {
      env: this.env,
      typescript: /\.[mc]?ts$/.test(this.spec.handler ?? ''),
      v8Flags: CONSUMER_WORKER_V8_FLAGS,
    });
    this.child = child;
    let ready!: () => void;
    let failed!: (error: Error) => void;
    const started = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    const drained = collectWorkerEvents(child, this.history, {
      onControl: (message) => message === 'ready' && ready(),
      onEvent: (e) => {
        this.lastActivity = Date.now();
        if (e.f === 'deliver') this.deliveries++;
      },
      onBadLine: (line) => this.log(`${this.spec.name}: unreadable line from worker: ${line.slice(0, 120)}`),
    });
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        void drained.then(() => {
          failed(
            new Error(
              `consumer worker ${this.spec.name} exited (${signal ?? `code ${code}`}) before it was ready`,
            ),
          );
          this.onExit(child, code, signal);
          resolve();
        });
      });
    });
    await started;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.stopped) return;
    if (signal !== 'SIGKILL') {
      this.unplannedExits++;
      this.log(`consumer worker ${this.spec.name} exited unexpectedly (${signal ?? `code ${code}`})`);
      if (this.unplannedExits > MAX_UNPLANNED_RESTARTS) return;
    }
    this.restarting = (async () => {
      await sleep(this.restartDelayMs);
      if (!this.stopped) await this.start().catch((e: Error) => this.log(e.message));
      this.restarting = undefined;
    })();
  }

  /** Waits for a restart in progress (the heal phase). */
  async heal(): Promise<void> {
    await this.restarting;
  }

  /** Interrupted: the worker goes at once (SIGKILL), no clean goodbye to wait for. */
  kill(): void {
    this.stopped = true;
    this.child?.kill('SIGKILL');
  }

  /** SIGTERM (the worker closes its consumer cleanly), SIGKILL if it does not leave in time. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.restarting;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}
