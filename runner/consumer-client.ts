import { consumerEventsFor } from '../core/client-events.ts';
import { sleep } from '../core/clock.ts';
import { describeError } from '../core/errors.ts';
import type { Random } from '../core/random.ts';
import type { ConsumerEvents, Recorder } from '../core/recorder.ts';
import type { Consumer, Delivery, TopologyClients } from '../drivers/driver.ts';
import type { HostPort } from '../provision/endpoints.ts';
import type { CrashPlan, Scenario, Workload } from '../scenarios/scenario.ts';
import type { CrashClaims } from './crash-claims.ts';
import { DeliveryStep, type StepHost } from './delivery-step.ts';

/** How long a consumer's first start is retried (a broker still recovering from the last case). */
export const FIRST_START_RETRY_MS = 15_000;

/** A planned crash and its index among the workload's crashes (its claim and its record). */
export interface IndexedCrash {
  index: number;
  plan: CrashPlan;
}

export interface ConsumerClientOptions {
  name: string;
  group: string;
  topology: TopologyClients;
  /** Connect through this address (the consumer's own proxy), every incarnation alike. */
  via?: HostPort | undefined;
  recorder: Recorder;
  /** What the consumer does with a delivery: the scenario's consumer step, in its variant. */
  scenario: Scenario;
  variant: string;
  workload: Workload;
  /**
   * Crashes planned for this consumer's group, with their index in the workload: the first consumer
   * of the group to reach a plan's delivery (and claim it) dies there.
   */
  crashes: readonly IndexedCrash[];
  /** Shared by every consumer of the case, in any process: who took which planned crash. */
  claims: CrashClaims;
  /** The scenario's store, opened in this process (undefined when the scenario keeps none). */
  store: unknown;
  random: Random;
  /** The broker acknowledges on delivery (auto-ack): the consumer sends no ack, so none is recorded. */
  ackOnDelivery: boolean;
  /**
   * Consume-transform-produce: each message is forwarded to the output destination with its ack
   * (`Delivery.forward`); an output reader records it as processed once it is visible there.
   */
  pipeline?: boolean | undefined;
  /** Delay before a crashed consumer is started again. */
  restartDelayMs: number;
  /** Deliveries this consumer had before (a restarted worker process continues the count). */
  deliveriesSoFar?: number;
  /**
   * How a crash happens. Without it the consumer's connection is torn down in this process and a
   * new incarnation starts after `restartDelayMs`; a worker process passes a SIGKILL of itself.
   */
  die?: () => void;
  /** How long the first start is retried (default FIRST_START_RETRY_MS). */
  firstStartRetryMs?: number | undefined;
  /** Where the client says what went wrong on its way (a start retried). */
  log?: ((message: string) => void) | undefined;
}

/**
 * The application under test, as a Jepsen client: it hands each delivery to the scenario's consumer
 * step (ack before or after processing, retries with backoff, a ledger in the store) and records
 * every step. A crash kills the current incarnation: nothing it does afterwards is recorded,
 * as nothing a killed process does reaches the history; a new incarnation starts after a delay.
 */
export class ConsumerClient implements StepHost {
  private consumer: Consumer | undefined;
  private incarnation = 0;
  private deliveries = 0;
  private running = 0;
  private restarting: Promise<void> | undefined;
  private stopped = false;
  lastActivity = 0;

  /** This consumer's per-message events, written without a generic serialiser. */
  readonly events: ConsumerEvents;

  constructor(readonly options: ConsumerClientOptions) {
    this.events = consumerEventsFor(options.recorder, options.name, options.group);
    this.deliveries = options.deliveriesSoFar ?? 0;
  }

  /** No handler running and no restart pending. */
  get idle(): boolean {
    return this.running === 0 && this.restarting === undefined;
  }

  /**
   * The first start. A broker still recovering from the previous case's faults (a cluster electing
   * stream and consumer leaders) may refuse a new consumer for a few seconds, as it would refuse a
   * freshly deployed service: retried for up to FIRST_START_RETRY_MS, then the error stands.
   */
  async start(): Promise<void> {
    const deadline = Date.now() + (this.options.firstStartRetryMs ?? FIRST_START_RETRY_MS);
    for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await this.attach();
      } catch (error) {
        if (this.stopped || Date.now() + delay > deadline) throw error;
        this.options.log?.(
          `${this.options.name}: could not start (${describeError(error)}); again in ${delay} ms`,
        );
        await sleep(delay);
      }
    }
  }

  /** Opens the consumer on the broker and starts handing it deliveries. */
  private async attach(): Promise<void> {
    const { topology, name, group } = this.options;
    const incarnation = ++this.incarnation;
    const { via } = this.options;
    this.consumer = await topology.consumer(name, group, via && { via });
    await this.consumer.start((delivery) => this.handle(delivery, incarnation));
  }

  alive(incarnation: number): boolean {
    return !this.stopped && incarnation === this.incarnation;
  }

  private async handle(d: Delivery, incarnation: number): Promise<void> {
    if (!this.alive(incarnation)) return;
    this.running++;
    this.lastActivity = Date.now();
    try {
      this.events.deliver(d.id, d.dest, d.partition, d.offset, d.redelivered, d.deliveryCount);
      const n = ++this.deliveries;
      await this.options.scenario.consume(d, new DeliveryStep(this, d, n, incarnation));
    } finally {
      this.running--;
      this.lastActivity = Date.now();
    }
  }

  /**
   * The pipeline step: the output message carries the input's id; `forward` commits the input
   * offset with it. A planned after-process crash strikes between the send and the commit.
   */
  async forward(d: Delivery, step: DeliveryStep, incarnation: number): Promise<void> {
    const { name } = this.options;
    if (!d.forward) throw new Error(`the driver gave ${name} a delivery that cannot be forwarded`);
    this.events.simple('invoke', 'ack', d.id);
    const beforeCommit = async () => {
      await step.crashAt('after-process');
    };
    let outcome: Awaited<ReturnType<Delivery['ack']>>;
    try {
      outcome = await d.forward(
        { id: d.id, key: d.key, poison: d.poison, payload: d.payload },
        { beforeCommit },
      );
    } catch (error) {
      outcome = { status: 'info', error: (error as Error).message };
    }
    if (!this.alive(incarnation)) return;
    this.events.ackOutcome(outcome.status, d.id, outcome.status === 'ok' ? undefined : outcome.error);
    await step.crashAt('after-ack');
  }

  /** Records the ack; false when this incarnation died while acknowledging. */
  async ack(d: Delivery, incarnation: number): Promise<boolean> {
    // A dead incarnation acknowledges nothing: the process that would have is gone.
    if (!this.alive(incarnation)) return false;
    this.events.simple('invoke', 'ack', d.id);
    let outcome: Awaited<ReturnType<Delivery['ack']>>;
    try {
      outcome = await d.ack();
    } catch (error) {
      outcome = { status: 'info', error: (error as Error).message };
    }
    if (!this.alive(incarnation)) return false;
    this.events.ackOutcome(outcome.status, d.id, outcome.status === 'ok' ? undefined : outcome.error);
    return true;
  }

  async crash(incarnation: number, planned: IndexedCrash): Promise<void> {
    if (!this.alive(incarnation)) return;
    const { recorder, name, restartDelayMs } = this.options;
    this.incarnation++; // everything the old incarnation still does goes unrecorded
    recorder.record({
      p: 'nemesis',
      type: 'info',
      f: 'crash',
      target: name,
      point: planned.plan.point,
      atDelivery: planned.plan.atDelivery,
      plan: planned.index,
    });
    if (this.options.die) return this.options.die();
    const consumer = this.consumer;
    this.consumer = undefined;
    this.restarting = (async () => {
      await consumer?.crash().catch(() => {});
      await sleep(restartDelayMs);
      // The broker may be unreachable (a partition, a kill): keep trying, as a supervisor would.
      for (let delay = 100; !this.stopped; delay = Math.min(delay * 2, 2000)) {
        try {
          await this.attach();
          break;
        } catch {
          await sleep(delay);
        }
      }
      this.restarting = undefined;
    })();
  }

  /** Restart now if a crash left this consumer down (the heal phase). */
  async heal(): Promise<void> {
    await this.restarting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.restarting?.catch(() => {});
    await this.consumer?.close();
    this.consumer = undefined;
  }
}
