import { sleep } from '../core/clock.ts';
import { forkRandom, type Random, randomInt } from '../core/random.ts';
import type { CaseTopology, Consumer, Delivery } from '../drivers/driver.ts';
import { type Behaviour, backoffDelay, type CrashPlan, type Workload } from '../scenarios/scenario.ts';
import type { EffectStore } from './effect-store.ts';
import type { Recorder } from './recorder.ts';

export interface ConsumerClientOptions {
  name: string;
  group: string;
  topology: CaseTopology;
  recorder: Recorder;
  behaviour: Behaviour;
  workload: Workload;
  /** Crashes planned for this consumer, by delivery number. */
  crashes: readonly CrashPlan[];
  effects: EffectStore;
  random: Random;
  /** The broker acknowledges on delivery (auto-ack): the ack is recorded with the delivery. */
  ackOnDelivery: boolean;
  /** Delay before a crashed consumer is started again. */
  restartDelayMs: number;
}

/**
 * The application under test, as a Jepsen client: it handles deliveries the way the scenario's
 * pattern says (ack before or after processing, retries with backoff, an idempotency store) and
 * records every step. A crash kills the current incarnation: nothing it does afterwards is recorded,
 * as nothing a killed process does reaches the history; a new incarnation starts after a delay.
 */
export class ConsumerClient {
  private consumer: Consumer | undefined;
  private incarnation = 0;
  private deliveries = 0;
  private running = 0;
  private restarting: Promise<void> | undefined;
  private stopped = false;
  lastActivity = 0;

  constructor(private readonly options: ConsumerClientOptions) {}

  /** No handler running and no restart pending. */
  get idle(): boolean {
    return this.running === 0 && this.restarting === undefined;
  }

  async start(): Promise<void> {
    const { topology, name, group } = this.options;
    const incarnation = ++this.incarnation;
    this.consumer = await topology.consumer(name, group);
    await this.consumer.start((delivery) => this.handle(delivery, incarnation));
  }

  private alive(incarnation: number): boolean {
    return !this.stopped && incarnation === this.incarnation;
  }

  private async handle(d: Delivery, incarnation: number): Promise<void> {
    if (!this.alive(incarnation)) return;
    const { recorder, group, name, behaviour, workload, random } = this.options;
    this.running++;
    this.lastActivity = Date.now();
    try {
      recorder.record({
        p: name,
        type: 'ok',
        f: 'deliver',
        id: d.id,
        group,
        dest: d.dest,
        ...(d.partition !== undefined && { partition: d.partition }),
        ...(d.offset !== undefined && { offset: d.offset }),
        ...(d.redelivered !== undefined && { redelivered: d.redelivered }),
        ...(d.deliveryCount !== undefined && { deliveryCount: d.deliveryCount }),
      });
      const n = ++this.deliveries;
      const crash = this.options.crashes.find((c) => c.atDelivery === n);

      if (this.options.ackOnDelivery) {
        recorder.record({ p: name, type: 'invoke', f: 'ack', id: d.id, group });
        recorder.record({ p: name, type: 'ok', f: 'ack', id: d.id, group, auto: true });
      } else if (behaviour.ack === 'before-process') {
        if (!(await this.ack(d, incarnation))) return;
      }
      if (crash?.point === 'before-process') return await this.crash(incarnation);

      await sleep(randomInt(random, 0, workload.maxProcessingMs));
      if (!this.alive(incarnation)) return;

      const failure = d.poison ? 'poison' : failsTransiently(d, workload) ? 'transient' : undefined;
      if (failure) {
        const attempt = d.deliveryCount ?? 1;
        const delayMs = backoffDelay(behaviour, attempt);
        const outcome = await d.nack({ requeue: true, delayMs });
        if (!this.alive(incarnation)) return;
        if (outcome.status === 'ok') {
          recorder.record({
            p: name,
            type: 'ok',
            f: 'nack',
            id: d.id,
            group,
            requeue: true,
            reason: failure,
            delayMs,
          });
        }
        return;
      }

      if (behaviour.idempotent) {
        const applied = this.options.effects.apply(group, d.id);
        recorder.record({ p: name, type: 'ok', f: 'effect', id: d.id, group, txn: d.id, applied });
      }
      recorder.record({ p: name, type: 'ok', f: 'process', id: d.id, group });
      if (crash?.point === 'after-process') return await this.crash(incarnation);
      if (behaviour.ack === 'after-process' && !this.options.ackOnDelivery) await this.ack(d, incarnation);
    } finally {
      this.running--;
      this.lastActivity = Date.now();
    }
  }

  /** Records the ack; false when this incarnation died while acknowledging. */
  private async ack(d: Delivery, incarnation: number): Promise<boolean> {
    const { recorder, name, group } = this.options;
    recorder.record({ p: name, type: 'invoke', f: 'ack', id: d.id, group });
    let outcome: Awaited<ReturnType<Delivery['ack']>>;
    try {
      outcome = await d.ack();
    } catch (error) {
      outcome = { status: 'info', error: (error as Error).message };
    }
    if (!this.alive(incarnation)) return false;
    if (outcome.status === 'ok') recorder.record({ p: name, type: 'ok', f: 'ack', id: d.id, group });
    else recorder.record({ p: name, type: outcome.status, f: 'ack', id: d.id, group, error: outcome.error });
    return true;
  }

  private async crash(incarnation: number): Promise<void> {
    if (!this.alive(incarnation)) return;
    const { recorder, name, restartDelayMs } = this.options;
    this.incarnation++; // everything the old incarnation still does goes unrecorded
    recorder.record({ p: 'nemesis', type: 'info', f: 'crash', target: name });
    const consumer = this.consumer;
    this.consumer = undefined;
    this.restarting = (async () => {
      await consumer?.crash();
      await sleep(restartDelayMs);
      if (!this.stopped) await this.start();
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

/**
 * A healthy message fails transiently on its first delivery only, decided by its id and the case
 * seed, so whichever consumer gets it decides the same, and it succeeds when retried.
 */
function failsTransiently(d: Delivery, workload: Workload): boolean {
  if (workload.transientFailureRate <= 0) return false;
  const first = d.deliveryCount !== undefined ? d.deliveryCount === 1 : d.redelivered !== true;
  return first && forkRandom(workload.seed, d.id)() < workload.transientFailureRate;
}
