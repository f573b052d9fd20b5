import { ProducerRecorder } from '../core/client-events.ts';
import { sleep } from '../core/clock.ts';
import type { EventInput } from '../core/events.ts';
import type { Claim } from '../core/guarantee.ts';
import type { Recorder } from '../core/recorder.ts';
import type { OutgoingMessage, Producer, SendOutcome, TopologyClients } from '../drivers/driver.ts';
import {
  type CrashPoint,
  type ProducerStep,
  type Producing,
  plainWorkload,
  type Workload,
} from '../scenarios/scenario.ts';

export interface ProducerClientOptions {
  name: string;
  dest: string;
  producer: Producer;
  recorder: Recorder;
  /** Sends kept in flight at once (1 keeps this producer's order). */
  window: number;
  /** Sends retried (same id) after a `fail` or `info` outcome. */
  retries: number;
  /**
   * Retry after `info` (outcome unknown) too. Off where the broker stores a resend as a new message
   * and the claim is exactly-once: the application would not resend then, as a resend is a duplicate
   * the broker never promised to absorb.
   */
  retryUnknown?: boolean | undefined;
  /**
   * Time between this producer's sends (paced loads, so faults have time to act): the n-th message
   * is due n × interval after the load started, so a stall is caught up rather than stretched.
   */
  intervalMs?: number | undefined;
  signal: AbortSignal;
}

/** For producers made outside a case (benchmarks): a workload of nothing. */
const NO_WORKLOAD = plainWorkload(0, { payloadBytes: 0, seed: 0 });

/** How long a producer crash waits for the producer to reach its armed crash point before striking anyway. */
const ARMED_CRASH_MS = 2_000;

/** What a scenario adds to the plain producer: its own produce step, a background task, crash points. */
export interface ProducerScenario {
  index: number;
  workload?: Workload | undefined;
  variant?: string | undefined;
  /** The claim the case is checked against. */
  claim?: Claim | undefined;
  producing?: Producing<unknown> | undefined;
  /** The scenario's store, opened in this process. */
  store?: unknown;
  /** Every producer of the case is done (for relays that publish for all of them). */
  allFinished?: () => boolean;
}

/** A producer's messages, made one at a time when they are sent. */
export interface MessageSource {
  readonly size: number;
  message(k: number): OutgoingMessage;
}

interface Queued {
  message: OutgoingMessage;
  dueMs: number;
}

/**
 * A producer that can crash (producer-crash faults): it dies abruptly — the outcome of whatever it
 * was sending is never recorded, as nothing a dead process does reaches the history — and, once
 * restarted, sends again every message it had not seen acknowledged, with the same ids (unless the
 * scenario says what was in hand dies with the process). A scenario may replace the send with a
 * produce step of its own (an outbox write, a dual write) and run a background task beside it.
 */
export class ProducerClient {
  /** Messages handed back unsent (a crash, the load's end): sent before the rest, last first. */
  private readonly returned: Queued[] = [];
  /** The next message of `source` not yet taken. */
  private cursor = 0;
  private readonly start = Date.now();
  private incarnation = 0;
  private inFlight = 0;
  private producer: Producer | undefined;
  private restarted: (() => void) | undefined;
  private crashes = 0;
  private armed: { point: CrashPoint; fired: () => void } | undefined;

  constructor(
    private readonly topology: TopologyClients,
    private readonly source: MessageSource,
    private readonly options: Omit<ProducerClientOptions, 'producer' | 'dest'>,
    private readonly scenario: ProducerScenario = { index: 0 },
  ) {}

  /** Messages not yet taken to be sent. */
  private get queued(): number {
    return this.returned.length + this.source.size - this.cursor;
  }

  /** The next message to send; made from the source only now, so the plan holds no objects. */
  private take(): Queued {
    const back = this.returned.pop();
    if (back) return back;
    const n = this.cursor++;
    return { message: this.source.message(n), dueMs: this.start + n * (this.options.intervalMs ?? 0) };
  }

  /** Messages not yet sent, or sent and not yet answered. */
  get unsettled(): number {
    return this.queued + this.inFlight;
  }

  async run(): Promise<void> {
    const { signal } = this.options;
    this.producer = await this.topology.producer(this.options.name);
    try {
      while (!signal.aborted) {
        const incarnation = this.incarnation;
        if (this.producer) {
          const producer = this.producer;
          const background = this.scenario.producing?.background;
          await Promise.all([
            ...Array.from({ length: Math.max(1, this.options.window) }, () =>
              this.lane(incarnation, producer),
            ),
            ...(background ? [background(this.step(incarnation, producer))] : []),
          ]);
        }
        if (incarnation === this.incarnation && this.producer) return; // everything sent
        // Crashed: wait for the restart, then send what is left.
        if (!this.producer)
          await new Promise<void>((resolve) => {
            // Removed once restarted: a listener left on the load's deadline signal keeps the
            // whole case reachable until that deadline fires.
            const aborted = () => resolve();
            this.restarted = () => {
              signal.removeEventListener('abort', aborted);
              resolve();
            };
            signal.addEventListener('abort', aborted, { once: true });
          });
      }
    } finally {
      await this.producer?.close();
    }
  }

  private async lane(incarnation: number, producer: Producer): Promise<void> {
    const options = { ...this.options, producer, dest: this.topology.dest };
    const produce = this.scenario.producing?.produce;
    const resend = this.scenario.producing?.resendAfterCrash !== false;
    const alive = () => incarnation === this.incarnation;
    while (this.queued > 0 && !this.options.signal.aborted && incarnation === this.incarnation) {
      const next = this.take();
      // In hand from here (also while waiting until it is due): `finished()` must not say otherwise.
      this.inFlight++;
      let sent = false;
      try {
        // Only a paced load waits: an unpaced message is due from the start.
        if (next.dueMs > Date.now()) await sleep(next.dueMs - Date.now(), options.signal);
        if (options.signal.aborted || incarnation !== this.incarnation) {
          // Not started yet: whoever sends next (a later incarnation) sends it.
          this.returned.push(next);
          return;
        }
        if (produce) {
          await produce(next.message, this.step(incarnation, producer));
          sent = incarnation === this.incarnation;
        } else {
          // The first attempt straight from the lane: one promise less per message than through the retry loop.
          const outcome = await sendOnce(next.message, options, alive);
          sent = isSettled(outcome, options) || (await this.sendRetrying(next.message, options, alive));
        }
      } finally {
        this.inFlight--;
      }
      // Died while sending: the next incarnation sends it again (when the application would).
      if (!sent && incarnation !== this.incarnation && resend) this.returned.push(next);
    }
  }

  /** The attempts after a first that did not settle. */
  private async sendRetrying(
    message: OutgoingMessage,
    options: ProducerClientOptions,
    alive: () => boolean,
  ): Promise<boolean> {
    for (let attempt = 1; attempt <= options.retries && alive(); attempt++) {
      await sleep(retryDelay(attempt), options.signal);
      // Retries end with the load: past its deadline nothing is sent again.
      if (options.signal.aborted) break;
      if (isSettled(await sendOnce(message, options, alive), options)) return true;
    }
    return false;
  }

  /** What a scenario's produce step or background task may do, in this incarnation. */
  private step(incarnation: number, producer: Producer): ProducerStep<unknown> {
    const alive = () => incarnation === this.incarnation;
    return {
      name: this.options.name,
      index: this.scenario.index,
      variant: this.scenario.variant ?? '',
      workload: this.scenario.workload ?? NO_WORKLOAD,
      store: this.scenario.store,
      claim: this.scenario.claim,
      signal: this.options.signal,
      alive,
      send: async (message, as, overrides) => {
        const options = {
          ...this.options,
          name: as ?? this.options.name,
          producer,
          dest: this.topology.dest,
          retries: overrides?.retries ?? this.options.retries,
        };
        let last: SendOutcome | undefined;
        for (let attempt = 0; attempt <= options.retries && alive(); attempt++) {
          if (attempt > 0) await sleep(retryDelay(attempt), options.signal);
          if (options.signal.aborted) break;
          const outcome = await sendOnce(message, options, alive);
          last = outcome;
          if (isSettled(outcome, options)) break;
        }
        return alive() ? last : undefined;
      },
      ...(this.topology.readKey && { readKey: (key: string) => this.topology.readKey!(key) }),
      crashAt: async (point) => {
        if (!alive()) return true;
        if (this.armed?.point !== point) return false;
        const { fired } = this.armed;
        this.armed = undefined;
        await this.die(point);
        fired();
        return true;
      },
      finished: () => this.queued === 0 && this.inFlight === 0,
      allFinished: () => this.scenario.allFinished?.() ?? (this.queued === 0 && this.inFlight === 0),
      record: (event) => {
        if (alive()) this.options.recorder.record({ ...event, p: this.options.name } as EventInput);
      },
    };
  }

  /**
   * Dies: at the scenario's next crash point when it has some (waiting up to ARMED_CRASH_MS for the
   * producer to get there), else at once. In-flight outcomes are lost with the process; the
   * connection goes without a goodbye.
   */
  async crash(): Promise<void> {
    const points = this.scenario.producing?.crashPoints;
    if (points?.length && this.producer) {
      const point = points[this.crashes++ % points.length]!;
      const fired = new Promise<void>((resolve) => {
        this.armed = { point, fired: resolve };
      });
      await Promise.race([fired, sleep(ARMED_CRASH_MS, this.options.signal)]);
      if (!this.armed) return;
      this.armed = undefined;
    }
    await this.die(undefined);
  }

  private async die(point: CrashPoint | undefined): Promise<void> {
    this.incarnation++;
    this.options.recorder.record({
      p: 'nemesis',
      type: 'info',
      f: 'crash',
      target: this.options.name,
      ...(point !== undefined && { point }),
    });
    const producer = this.producer;
    this.producer = undefined;
    await producer?.close().catch(() => {});
  }

  async restart(): Promise<void> {
    if (this.producer) return;
    this.producer = await this.topology.producer(this.options.name);
    this.restarted?.();
    this.restarted = undefined;
  }
}

/** Exponential backoff between send retries: 100, 200, 400, 800, 1600 ms — a short outage is ridden out. */
const retryDelay = (attempt: number) => Math.min(1600, 100 * 2 ** (attempt - 1));

/** Each producer's event writers (made once per producer's options, not once per send). */
const writers = new WeakMap<ProducerClientOptions, ProducerRecorder>();
function producerEvents(options: ProducerClientOptions): ProducerRecorder {
  let events = writers.get(options);
  if (!events) {
    events = new ProducerRecorder(options.recorder, options.name);
    writers.set(options, events);
  }
  return events;
}

/** Sends once and records it; no outcome when the producer crashed meanwhile. */
async function sendOnce(
  message: OutgoingMessage,
  options: ProducerClientOptions,
  alive: () => boolean = () => true,
): Promise<SendOutcome | undefined> {
  const { dest, producer } = options;
  const events = producerEvents(options);
  events.sendInvoke(message.id, dest, message.key, message.poison);
  let outcome: SendOutcome;
  try {
    outcome = await producer.send(message);
  } catch (error) {
    // A driver should not throw for a broker outcome; if one does, the outcome is unknown.
    outcome = { status: 'info', error: `driver threw: ${(error as Error).message}` };
  }
  // A producer that crashed meanwhile never learns (or records) the outcome.
  if (!alive()) return undefined;
  if (outcome.status === 'ok') events.sendOk(message.id, outcome.partition, outcome.offset);
  else events.sendFailed(outcome.status, message.id, outcome.error);
  return outcome;
}

/**
 * No retry wanted: acknowledged, or fire-and-forget that never answers (nothing an application
 * retries). Never for a producer that crashed before it learnt the outcome.
 */
function isSettled(outcome: SendOutcome | undefined, options: ProducerClientOptions): boolean {
  if (outcome === undefined) return false;
  return (
    outcome.status === 'ok' ||
    (outcome.status === 'info' && (outcome.final === true || options.retryUnknown === false))
  );
}
