import type * as fc from 'fast-check';
import type { CheckerFamily } from '../core/checker-family.ts';
import type { EventInput } from '../core/events.ts';
import type { Claim } from '../core/guarantee.ts';
import type { Random } from '../core/random.ts';
import type { StoreAccess } from '../core/store.ts';
import type {
  Delivery,
  DriverCapabilities,
  KeyedEntry,
  OutgoingMessage,
  SendOutcome,
  Setup,
} from '../drivers/driver.ts';
import type { FaultPlan, NetworkRole } from '../faults/fault-plan.ts';

/**
 * Where a consumer dies while handling a delivery: before the handler processes it, after
 * processing but before the ack (for a pipeline: between the output send and the commit), or right
 * after the ack (or commit) completed.
 */
export const CRASH_POINTS = ['before-process', 'after-process', 'after-ack'] as const;
/**
 * Right after the ack of a delivery that is not the last of its batch (a Kafka fetch, an SQS
 * receive): later messages of the batch are still unhandled, and acks flushed per batch are not.
 * Only drawn on setups whose deliveries carry their batch (`Setup.deliversInBatches`).
 */
export const MID_BATCH = 'mid-batch';
/** The standard consumer step's crash points. */
export const STANDARD_CRASH_POINTS: readonly string[] = [...CRASH_POINTS, MID_BATCH];

/**
 * A crash point's name. The three of `CRASH_POINTS` are every consumer step's; a scenario adds its
 * own where its handler has more steps (between the ledger credit and the processed-id insert).
 */
export type CrashPoint = string;

/**
 * A consumer crash planned by the workload: the first consumer of the group to reach the crash
 * point on its n-th delivery or a later one dies there. Whichever consumer gets that far takes it
 * (exactly one does), so the crash fires whenever the group receives about `messages / consumers`
 * deliveries, however the broker spreads them; one that never fires is recorded as cancelled.
 */
export interface CrashPlan {
  group: number;
  /** Dies while handling its n-th delivery or a later one (counted over restarts). */
  atDelivery: number;
  point: CrashPoint;
}

/** Everything fast-check draws for one case. */
export interface Workload {
  messages: number;
  producers: number;
  consumersPerGroup: number;
  groups: number;
  /** Distinct message keys (0: unkeyed). */
  keys: number;
  partitions: number;
  /** Indices of poison messages (the handler always fails them). */
  poison: number[];
  payloadBytes: number;
  /** Handlers take 0..maxProcessingMs per message. */
  maxProcessingMs: number;
  /** Chance that a healthy message fails transiently on its first delivery (then succeeds). */
  transientFailureRate: number;
  crashes: CrashPlan[];
  /**
   * Time between one producer's sends (0: as fast as it can). A paced load lasts about `loadMs`, long
   * enough for every scheduled fault to start, act and heal while producers still send.
   */
  sendIntervalMs: number;
  /** How long the paced load is planned to last (0 when unpaced). */
  loadMs: number;
  /** Network, broker and producer faults, in time order. */
  faults: FaultPlan[];
  /** Seeds every random choice made inside the case. */
  seed: number;
}

/**
 * A workload with nothing drawn: one producer, one consumer in one group, unkeyed, no poison, no
 * processing time, no failures, crashes or faults, sent as fast as it goes (benchmarks, and
 * producers made outside a case). `over` sets what differs.
 */
export function plainWorkload(messages: number, over: Partial<Workload> = {}): Workload {
  return {
    messages,
    producers: 1,
    consumersPerGroup: 1,
    groups: 1,
    keys: 0,
    partitions: 1,
    poison: [],
    payloadBytes: 64,
    maxProcessingMs: 0,
    transientFailureRate: 0,
    crashes: [],
    sendIntervalMs: 0,
    loadMs: 0,
    faults: [],
    seed: 1,
    ...over,
  };
}

export interface WorkloadOptions {
  /** Exact message count (the workload draws it otherwise). */
  messages?: number | undefined;
  /**
   * Fault kinds enabled for the run (consumer-crash, …); a network fault may name whose link it
   * cuts (`partition@consumers`), else any role the driver has proxies for is drawn.
   */
  faults: ReadonlySet<string>;
  /** Roles the broker has separate proxies for (default: `all` only). */
  networkRoles?: readonly NetworkRole[] | undefined;
  /**
   * The longest time the broker waits on a silent client before it acts (session timeout,
   * visibility timeout, ack wait): fault durations are drawn up to well past it.
   */
  silenceTimeoutMs?: number | undefined;
  /** Max deliveries before dead-lettering, for scenarios that use a DLQ. */
  maxAttempts?: number | undefined;
  /**
   * At most this many consumer crashes per case. Where the broker forgets a message on delivery
   * (auto-ack), a crash loses everything it had pushed to the consumer, so later deliveries — and
   * crashes planned at them — may never come: such setups plan one.
   */
  maxCrashes?: number | undefined;
  /** At least this many consumer crashes per case (when consumer-crash faults are on). */
  minCrashes?: number | undefined;
  /** How long a paced load is drawn to last (default 2–20 s), and how long scheduled faults last. */
  loadMs?: { min: number; max: number } | undefined;
  faultDurationMs?: { min: number; max: number } | undefined;
  /** Where crashes may strike (the scenario's crash points by default). */
  crashPoints?: readonly CrashPoint[] | undefined;
  /** Scheduled faults (network, broker, cluster, producer) a case plans: at least / at most (default 1–3). */
  minFaults?: number | undefined;
  maxFaults?: number | undefined;
  /** Producers pace their sends over `loadMs` even when no fault is scheduled (soak cases). */
  paced?: boolean | undefined;
}

/** One way to build a scenario's pattern, with its own honest claim (`--variant NAME`). */
export interface Variant {
  name: string;
  description: string;
}

/** How the scenario's producers send. */
export interface Producing<Store = unknown> {
  /** Sends each producer keeps in flight (1 keeps per-producer order). */
  window: number;
  /** A send that failed or whose outcome is unknown is sent again with the same id, up to this often. */
  retries: number;
  /**
   * What a producer does with one message (default: send it to the broker, retried as above). A
   * transactional outbox writes rows here; a dual write commits, then publishes.
   */
  produce?(message: OutgoingMessage, step: ProducerStep<Store>): Promise<void>;
  /**
   * Runs beside the producer's sends in each incarnation (an in-process outbox relay), until it
   * returns; it should return once `step.finished()` and nothing is left for it to do.
   */
  background?(step: ProducerStep<Store>): Promise<void>;
  /**
   * Where a producer-crash fault strikes: the crash waits (briefly) for the producer to reach the
   * next of these, cycling through them crash by crash. Without them it strikes at once.
   */
  crashPoints?: readonly CrashPoint[] | undefined;
  /**
   * After a crash, the restarted producer sends again what the dead one had in hand (default): an
   * application retrying from a durable source. False: what was in hand is gone with the process.
   */
  resendAfterCrash?: boolean | undefined;
}

/** What a producer step can do; a crash ends the incarnation like a consumer's. */
export interface ProducerStep<Store> {
  readonly name: string;
  /** Which producer (0-based): its rows and messages are its own. */
  readonly index: number;
  readonly variant: string;
  readonly workload: Workload;
  readonly store: Store;
  /**
   * The claim the case is checked against, when the runner knows it: a scenario may shape its load
   * by it (event sourcing draws one writer per stream on a single-writer store).
   */
  readonly claim?: Claim | undefined;
  alive(): boolean;
  /**
   * Sends to the broker and records it (as `as`, default this producer), retrying as `producing`
   * says unless `retries` says otherwise; undefined when it died meanwhile.
   */
  send(
    message: OutgoingMessage,
    as?: string,
    options?: { retries?: number },
  ): Promise<SendOutcome | undefined>;
  /** Setups whose broker can be the event store (`Setup.eventLog`): every message of `key`. */
  readKey?(key: string): Promise<KeyedEntry[]>;
  /** Dies here if a producer crash is armed for this point; true when dead. */
  crashAt(point: CrashPoint): Promise<boolean>;
  /** Every message of this producer has been produced (or abandoned by a crash). */
  finished(): boolean;
  /** Every producer of the case has finished (a relay that publishes for others waits for this). */
  allFinished(): boolean;
  /** Records an event of the scenario's own (`append`, `query`); `p` is this producer. */
  record(event: Omit<EventInput, 'p'>): void;
  /** The load is over (its deadline, or Ctrl-C): stop. */
  readonly signal: AbortSignal;
}

/**
 * A scenario: one folder under `scenarios/`, listed once in the catalogue. It brings everything
 * specific to its pattern — the workload it draws, what its consumers do with a delivery and where
 * they may crash, the store it keeps state in, and the checker family that judges its own events —
 * so the runner, the consumer workers and the CLI know nothing about any one scenario.
 *
 * `Store` is whatever `store.open` returns (a ledger, an outbox); without a `store` it is undefined.
 */
export interface Scenario<Store = unknown> {
  readonly name: string;
  readonly description: string;
  /** Ways to build the pattern, each with its own claim; the first is the default. */
  readonly variants?: readonly Variant[] | undefined;
  /** Where its consumer step can crash: planned crashes cycle through these, case by case. */
  readonly crashPoints: readonly CrashPoint[];
  readonly producing: Producing<Store>;
  /**
   * Consume-transform-produce where the setup supports it: consumers forward each message to an
   * output destination with their ack, and processing counts once it is visible downstream.
   */
  readonly pipeline?: boolean | undefined;
  /** Why this scenario (variant) cannot run on the setup, or undefined when it can. */
  unfit(setup: Setup, capabilities: DriverCapabilities, variant: string): string | undefined;
  /** The claim to check: the setup's claim, refined by what this pattern (variant) promises. */
  claim(setup: Setup, variant: string): Claim;
  /**
   * Among setups it fits, the ones it runs on by default (e.g. exactly-once prefers setups that
   * claim it). Without it, any fitting setup will do.
   */
  prefers?(setup: Setup): boolean;
  workload(options: WorkloadOptions): fc.Arbitrary<Workload>;
  /** What a consumer does with one delivery: the handler of the pattern, with its crash points. */
  consume(delivery: Delivery, step: ConsumerStep<Store>): Promise<void>;
  /** The application state the pattern keeps beside the broker. */
  readonly store?: ScenarioStore<Store> | undefined;
  /**
   * Consumers run in the runner's process even where they could run in worker processes. For
   * checks that compare the order of events recorded by different consumers (a projection's
   * applies of one stream): one recorder sees them in the order they happened, while events piped
   * from workers are merged by time and can arrive late on a loaded machine.
   */
  readonly consumersInline?: boolean | undefined;
  /** Judges the scenario's own events (and read-back), composed into `check()` by the meta line. */
  readonly checker?: CheckerFamily | undefined;
}

/** A scenario's application state: opened in every process of a case, read back after the drain. */
export interface ScenarioStore<Store> {
  /**
   * Opens the store on the case's memory space or PostgreSQL schema. `create` is true once per
   * case (the runner, before any client starts): create tables there.
   */
  open(access: StoreAccess, options: { create: boolean; variant: string }): Promise<Store>;
  /**
   * What the store holds once the case has drained, as `state` events (docs/semantics.md "Store
   * read-back"): the ground truth the checker judges, beside what clients claimed they did.
   */
  readBack(store: Store, groups: readonly string[]): Promise<EventInput[]>;
}

/**
 * What a consumer step can do, each action recorded in the history as it happens. A planned crash
 * ends the current incarnation: `crashAt` then resolves true (or never, in a worker process that
 * SIGKILLs itself) and the step must return at once; nothing a dead incarnation does is recorded.
 * The actions are methods of one object made per delivery: call them on it (`step.ack()`), and wrap
 * a step by delegating to it, not by spreading it (a spread leaves the methods behind).
 */
export interface ConsumerStep<Store> {
  readonly name: string;
  readonly group: string;
  readonly variant: string;
  readonly workload: Workload;
  readonly random: Random;
  /** The broker acknowledged on delivery (auto-ack): there is nothing to ack. */
  readonly ackOnDelivery: boolean;
  /** The setup forwards to an output destination with the ack (see `Scenario.pipeline`). */
  readonly pipeline: boolean;
  readonly store: Store;
  /** Dies here if a planned crash at this point is due for this delivery; true when dead. */
  crashAt(point: CrashPoint): Promise<boolean>;
  /** This incarnation is still the live one. */
  alive(): boolean;
  /** Acknowledges (recording invoke and outcome); false when the incarnation died meanwhile. */
  ack(): Promise<boolean>;
  /** Gives the message back; recorded as `nack` with the reason. False when dead. */
  nack(reason: string, delayMs: number): Promise<boolean>;
  /** The handler's simulated work (0..maxProcessingMs); false when the incarnation died meanwhile. */
  work(): Promise<boolean>;
  /** Whether this delivery fails: poison always, some healthy ones transiently on first delivery. */
  failure(): 'poison' | 'transient' | undefined;
  /** Records `process`: the handler finished with this message. */
  processed(): void;
  /** Records the consumer's own claim about a side effect (`effect`, with `applied`). */
  effect(txn: string, applied: boolean): void;
  /** Pipelines: forwards to the output with the ack (after-process crash strikes between the two). */
  forward(): Promise<void>;
  /** Records any other event of the scenario's (`p` and `group` filled in). */
  record(event: Omit<EventInput, 'p'>): void;
}
