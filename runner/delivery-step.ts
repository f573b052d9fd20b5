import { sleep } from '../core/clock.ts';
import type { EventInput } from '../core/events.ts';
import { forkRandom, type Random, randomInt } from '../core/random.ts';
import type { ConsumerEvents } from '../core/recorder.ts';
import type { Delivery } from '../drivers/driver.ts';
import type { ConsumerStep, CrashPoint, Workload } from '../scenarios/scenario.ts';
import type { ConsumerClientOptions, IndexedCrash } from './consumer-client.ts';

const RESOLVED_TRUE = Promise.resolve(true);
const RESOLVED_FALSE = Promise.resolve(false);

/** What a delivery's step needs of the consumer client that runs it. */
export interface StepHost {
  readonly options: ConsumerClientOptions;
  readonly events: ConsumerEvents;
  alive(incarnation: number): boolean;
  crash(incarnation: number, planned: IndexedCrash): Promise<void>;
  ack(d: Delivery, incarnation: number): Promise<boolean>;
  forward(d: Delivery, step: DeliveryStep, incarnation: number): Promise<void>;
}

/**
 * What the scenario's consumer step may do with one delivery, the n-th of its consumer. One object
 * per delivery with its actions on the prototype: closures made per message (a dozen, each named by
 * the TypeScript loader) cost the consume path more than recording its four events.
 */
export class DeliveryStep implements ConsumerStep<unknown> {
  constructor(
    private readonly host: StepHost,
    private readonly d: Delivery,
    private readonly n: number,
    private readonly incarnation: number,
  ) {}

  // Read from the client's options, not copied into every delivery's step.
  get name(): string {
    return this.host.options.name;
  }
  get group(): string {
    return this.host.options.group;
  }
  get variant(): string {
    return this.host.options.variant;
  }
  get workload(): Workload {
    return this.host.options.workload;
  }
  get random(): Random {
    return this.host.options.random;
  }
  get ackOnDelivery(): boolean {
    return this.host.options.ackOnDelivery;
  }
  get pipeline(): boolean {
    return this.host.options.pipeline === true;
  }
  get store(): unknown {
    return this.host.options.store;
  }

  /**
   * The first consumer of the group to get this far and reach the planned point takes that crash.
   * "This far" is at least the planned delivery: a delivery that never reaches the point (a poison
   * message is nacked before it is processed) passes the crash on to the next one. The common
   * answers are promises made once: an async method would cost every message a promise and extra
   * microtask turns at each of its crash points.
   */
  crashAt(point: CrashPoint): Promise<boolean> {
    const { host, incarnation, n } = this;
    if (!host.alive(incarnation)) return RESOLVED_TRUE;
    const { crashes, claims } = host.options;
    if (crashes.length === 0) return RESOLVED_FALSE;
    const planned = crashes.find(
      (c) => c.plan.atDelivery <= n && c.plan.point === point && claims.claim(c.index),
    );
    if (!planned) return RESOLVED_FALSE;
    return host.crash(incarnation, planned).then(() => true);
  }

  alive(): boolean {
    return this.host.alive(this.incarnation);
  }

  ack(): Promise<boolean> {
    return this.host.ack(this.d, this.incarnation);
  }

  async nack(reason: string, delayMs: number): Promise<boolean> {
    const { host, d, incarnation } = this;
    if (!host.alive(incarnation)) return false;
    const outcome = await d.nack({ requeue: true, delayMs });
    if (!host.alive(incarnation)) return false;
    if (outcome.status === 'ok') {
      host.options.recorder.record({
        p: this.name,
        type: 'ok',
        f: 'nack',
        id: d.id,
        group: this.group,
        requeue: true,
        reason,
        delayMs,
      });
    }
    return true;
  }

  work(): Promise<boolean> {
    const { workload, random } = this;
    const ms = workload.maxProcessingMs > 0 ? randomInt(random, 0, workload.maxProcessingMs) : 0;
    if (ms > 0) return sleep(ms).then(() => this.alive());
    return this.alive() ? RESOLVED_TRUE : RESOLVED_FALSE;
  }

  failure(): 'poison' | 'transient' | undefined {
    const { d, workload } = this;
    return d.poison ? 'poison' : failsTransiently(d, workload) ? 'transient' : undefined;
  }

  processed(): void {
    if (this.alive()) this.host.events.simple('ok', 'process', this.d.id);
  }

  effect(txn: string, applied: boolean): void {
    if (this.alive())
      this.host.options.recorder.record({
        p: this.name,
        type: 'ok',
        f: 'effect',
        id: this.d.id,
        group: this.group,
        txn,
        applied,
      });
  }

  forward(): Promise<void> {
    return this.host.forward(this.d, this, this.incarnation);
  }

  record(event: Omit<EventInput, 'p'>): void {
    if (this.alive())
      this.host.options.recorder.record({ group: this.group, ...event, p: this.name } as EventInput);
  }
}

/**
 * A healthy message fails transiently on its first delivery only, decided by its id and the case
 * seed, so whichever consumer gets it decides the same, and it succeeds when retried.
 */
function failsTransiently(d: Delivery, workload: Workload): boolean {
  if (workload.transientFailureRate <= 0) return false;
  const first = d.deliveryCount !== undefined ? d.deliveryCount === 1 : d.redelivered !== true;
  return first && forkRandom(workload.seed, d.id)() < workload.transientFailureRate;
}
