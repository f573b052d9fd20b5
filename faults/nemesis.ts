import type { BrokerName } from '../core/brokers.ts';
import { describeError } from '../core/errors.ts';
import type { FaultTargets } from '../core/fault-targets.ts';
import type { Recorder } from '../core/recorder.ts';
import { type ToxicSpec, ToxiproxyApi } from '../provision/toxiproxy-api.ts';
import { type FaultPlan, isBrokerFault, isNetworkFault } from './fault-plan.ts';

/** The case's producers, for producer-crash. */
export interface ProducerControl {
  crash(index: number): Promise<void>;
  restart(index: number): Promise<void>;
}

type Undo = () => Promise<void>;

const TOXIC_TYPES = {
  latency: 'latency',
  bandwidth: 'bandwidth',
  timeout: 'timeout',
  'reset-peer': 'reset_peer',
  slicer: 'slicer',
  'limit-data': 'limit_data',
} as const;

/**
 * The nemesis: applies faults and heals them, recording each as `fault` invoke + ok/fail (start and
 * stop). Everything it starts is remembered until healed, and `healAll` also resets the proxy and
 * wakes the broker whatever state the case left them in — so no run leaves a toxic, a disabled
 * proxy, or a paused or dead broker behind.
 */
export class Nemesis {
  private readonly active = new Map<FaultPlan, Undo>();
  private readonly toxiproxy: ToxiproxyApi | undefined;
  private toxicCount = 0;

  constructor(
    private readonly targets: FaultTargets,
    private readonly recorder: Recorder,
    private readonly producers: ProducerControl | undefined,
    private readonly log: (message: string) => void = () => {},
  ) {
    this.toxiproxy = targets.toxiproxy ? new ToxiproxyApi(targets.toxiproxy.apiUrl) : undefined;
  }

  /** Why this nemesis cannot inject `kind`, if it cannot. */
  static unsupported(kind: string, targets: FaultTargets): string | undefined {
    if (isNetworkFault(kind) && !targets.toxiproxy) return 'the broker is not behind a Toxiproxy proxy';
    if (isBrokerFault(kind) && !targets.broker)
      return 'the broker is not one of `brokerproof brokers up` (native)';
    return undefined;
  }

  private target(plan: FaultPlan): string {
    if (isNetworkFault(plan.kind)) return `toxiproxy:${this.targets.toxiproxy?.proxy ?? '?'}`;
    if (isBrokerFault(plan.kind)) return this.targets.broker ?? '?';
    return `producer-${plan.params.producer ?? 0}`;
  }

  async start(plan: FaultPlan): Promise<void> {
    const fields = {
      fault: plan.kind,
      target: this.target(plan),
      params: { ...plan.params, ...(plan.stream && { stream: plan.stream }) },
    };
    this.recorder.record({ p: 'nemesis', type: 'invoke', f: 'fault', action: 'start', ...fields });
    try {
      this.active.set(plan, await this.apply(plan));
      this.recorder.record({ p: 'nemesis', type: 'ok', f: 'fault', action: 'start', ...fields });
    } catch (error) {
      this.recorder.record({
        p: 'nemesis',
        type: 'fail',
        f: 'fault',
        action: 'start',
        ...fields,
        error: describeError(error),
      });
    }
  }

  async stop(plan: FaultPlan): Promise<void> {
    const undo = this.active.get(plan);
    if (!undo) return;
    this.active.delete(plan);
    const fields = { fault: plan.kind, target: this.target(plan) };
    this.recorder.record({ p: 'nemesis', type: 'invoke', f: 'fault', action: 'stop', ...fields });
    try {
      await undo();
      this.recorder.record({ p: 'nemesis', type: 'ok', f: 'fault', action: 'stop', ...fields });
    } catch (error) {
      this.recorder.record({
        p: 'nemesis',
        type: 'fail',
        f: 'fault',
        action: 'stop',
        ...fields,
        error: describeError(error),
      });
    }
  }

  /** Heals every active fault (latest first), then makes sure the proxy and broker are whole. */
  async healAll(): Promise<void> {
    for (const plan of [...this.active.keys()].reverse()) await this.stop(plan);
    const { toxiproxy, broker } = this.targets;
    if (toxiproxy && this.toxiproxy)
      await this.toxiproxy
        .heal(toxiproxy.proxy)
        .catch((e) => this.log(`healing the proxy: ${describeError(e)}`));
    if (broker)
      await ensureBrokerUp(broker).catch((e) => this.log(`bringing ${broker} back: ${describeError(e)}`));
  }

  private async apply(plan: FaultPlan): Promise<Undo> {
    const { kind } = plan;
    if (kind === 'partition') {
      const api = this.requireProxy();
      const proxy = this.targets.toxiproxy!.proxy;
      await api.setEnabled(proxy, false);
      return () => api.setEnabled(proxy, true);
    }
    if (isNetworkFault(kind)) {
      const api = this.requireProxy();
      const proxy = this.targets.toxiproxy!.proxy;
      const streams =
        plan.stream === 'both' || !plan.stream ? (['upstream', 'downstream'] as const) : [plan.stream];
      const names: string[] = [];
      for (const stream of streams) {
        const toxic: ToxicSpec = {
          name: `bp-${kind}-${++this.toxicCount}-${stream}`,
          type: TOXIC_TYPES[kind],
          stream,
          attributes: plan.params,
        };
        names.push(await api.addToxic(proxy, toxic));
      }
      return async () => {
        for (const name of names) await api.removeToxic(proxy, name);
      };
    }
    if (kind === 'broker-kill' || kind === 'broker-pause') {
      const broker = this.targets.broker;
      if (!broker) throw new Error('no native broker to hurt');
      const control = await import('../provision/local/process-control.ts');
      if (kind === 'broker-pause') {
        control.pauseBroker(broker);
        return async () => {
          control.resumeBroker(broker);
        };
      }
      await control.killBroker(broker);
      return async () => {
        await control.startBroker(broker);
      };
    }
    if (kind === 'producer-crash') {
      if (!this.producers) throw new Error('no producers to crash');
      const index = plan.params.producer ?? 0;
      await this.producers.crash(index);
      return () => this.producers!.restart(index);
    }
    throw new Error(`unknown fault ${kind}`);
  }

  private requireProxy(): ToxiproxyApi {
    if (!this.toxiproxy) throw new Error('the broker is not behind a Toxiproxy proxy');
    return this.toxiproxy;
  }
}

/** A paused broker is resumed, a dead one started on its data; one that runs is left alone. */
async function ensureBrokerUp(broker: BrokerName): Promise<void> {
  const control = await import('../provision/local/process-control.ts');
  if (control.isBrokerPaused(broker)) control.resumeBroker(broker);
  if (!control.isBrokerRunning(broker)) await control.startBroker(broker);
}
