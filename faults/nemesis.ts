import type { BrokerName, ProxyRef } from '../core/brokers.ts';
import { describeError } from '../core/errors.ts';
import { type FaultTargets, proxiesOf } from '../core/fault-targets.ts';
import type { Recorder } from '../core/recorder.ts';
import { type ToxicSpec, ToxiproxyApi } from '../provision/toxiproxy-api.ts';
import { clusterFaultUnsupported } from './cluster-faults.ts';
import {
  type ClusterFault,
  type FaultPlan,
  type FaultRole,
  isBrokerFault,
  isClusterFault,
  isNetworkFault,
} from './fault-plan.ts';

/** The case's producers, for producer-crash. */
export interface ProducerControl {
  crash(index: number): Promise<void>;
  restart(index: number): Promise<void>;
}

/** Heals a fault; may say what it saw when it healed (a cluster's leader afterwards). */
type Undo = () => Promise<unknown>;

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
 * stop). Everything it starts is remembered until healed, and `healAll` also resets every proxy of
 * the broker and wakes the broker whatever state the case left them in — so no run leaves a toxic,
 * a disabled proxy, or a paused or dead broker behind.
 *
 * A network fault acts on the proxies of its `role` (core/fault-targets.ts): `producers` or
 * `consumers` cut that role's link alone, `consumer` one consumer's (the case's per-consumer proxy
 * `params.consumer`), `all` (the default) every link to the broker.
 */
export class Nemesis {
  private readonly active = new Map<FaultPlan, Undo>();
  /** What a start found out, recorded with its `ok` (power-loss: what was dropped). */
  private readonly details = new Map<FaultPlan, Record<string, unknown>>();
  /** One API client per Toxiproxy the broker's proxies live in. */
  private readonly apis = new Map<string, ToxiproxyApi>();
  private toxicCount = 0;

  constructor(
    private readonly targets: FaultTargets,
    private readonly recorder: Recorder,
    private readonly producers: ProducerControl | undefined,
    private readonly log: (message: string) => void = () => {},
    /** The scenario's store (PostgreSQL), for faults with role `store`. */
    private readonly store: FaultTargets = {},
  ) {}

  /**
   * Why this nemesis cannot inject `kind` (on `role`'s link, for network faults; on the store with
   * `store`), if it cannot.
   */
  static unsupported(
    kind: string,
    targets: FaultTargets,
    role: FaultRole = 'all',
    store?: FaultTargets,
  ): string | undefined {
    if (role === 'store') {
      if (!store) return 'the run keeps no scenario state in PostgreSQL (no store to hurt)';
      if (isNetworkFault(kind) && proxiesOf(store).length === 0)
        return 'the store is not behind a Toxiproxy proxy';
      if (isBrokerFault(kind) && !store.broker)
        return 'the store is not one of `brokerproof brokers up` (native)';
      return undefined;
    }
    if (isClusterFault(kind))
      return targets.cluster
        ? clusterFaultUnsupported(kind, targets.cluster.nodes.length)
        : 'the broker is not a cluster of `brokerproof brokers up --cluster N` (native nodes in network namespaces)';
    if (isNetworkFault(kind) && proxiesOf(targets).length === 0)
      return 'the broker is not behind a Toxiproxy proxy';
    if (role === 'consumer') {
      if (!isNetworkFault(kind)) return 'only network faults act on one consumer’s link';
      if (!targets.roles?.consumers)
        return 'the consumers do not reach the broker through a Toxiproxy proxy of their own (a per-consumer proxy copies its upstream)';
      if (!targets.perConsumer && !targets.consumers?.length)
        return 'the driver cannot connect one consumer through an address of its own (Kafka clients follow the addresses the broker advertises after their first metadata call, so a per-consumer proxy would be bypassed)';
      return undefined;
    }
    if (isNetworkFault(kind) && proxiesOf(targets, role).length === 0)
      return `the ${role} do not reach the broker through a Toxiproxy proxy of their own (the endpoint gives no per-role addresses)`;
    if (isBrokerFault(kind) && !targets.broker)
      return 'the broker is not one of `brokerproof brokers up` (native)';
    if (kind === 'power-loss' && role !== 'all') return 'power-loss acts on the whole broker';
    return undefined;
  }

  /** The broker's targets, or the store's for a fault with role `store`. */
  private targetsOf(plan: FaultPlan): FaultTargets {
    return plan.role === 'store' ? this.store : this.targets;
  }

  /** The proxies a network fault acts on (`consumer`: that consumer's own, when the case has one). */
  private proxies(plan: FaultPlan): ProxyRef[] {
    const role = plan.role ?? 'all';
    if (role === 'consumer') {
      const own = this.targets.consumers?.[plan.params.consumer ?? 0];
      return own ? [own] : [];
    }
    return proxiesOf(this.targetsOf(plan), role === 'store' ? 'all' : role);
  }

  /**
   * `toxiproxy:nats` (every link), `toxiproxy:nats-consumers` (one role's), `toxiproxy:<case>-c2`
   * (one consumer's), the broker, a producer.
   */
  private target(plan: FaultPlan): string {
    const targets = this.targetsOf(plan);
    if (isNetworkFault(plan.kind)) {
      const role = plan.role ?? 'all';
      if (role === 'consumer')
        return `toxiproxy:${this.proxies(plan)[0]?.proxy ?? `?-consumer-${plan.params.consumer ?? 0}`}`;
      const whole = role === 'all' || role === 'store';
      const proxy = whole ? (targets.toxiproxy ?? this.proxies(plan)[0]) : this.proxies(plan)[0];
      return `toxiproxy:${proxy?.proxy ?? (whole ? '?' : `?-${role}`)}`;
    }
    if (isBrokerFault(plan.kind)) return targets.broker ?? '?';
    // Which nodes it hit is known once it started: its `ok` event's detail says.
    if (isClusterFault(plan.kind)) return `${targets.cluster?.broker ?? '?'}-cluster`;
    return `producer-${plan.params.producer ?? 0}`;
  }

  private api(ref: ProxyRef): ToxiproxyApi {
    let api = this.apis.get(ref.apiUrl);
    if (!api) {
      api = new ToxiproxyApi(ref.apiUrl);
      this.apis.set(ref.apiUrl, api);
    }
    return api;
  }

  /**
   * Called as the load begins, before any fault: with a power-loss planned, everything the broker
   * wrote so far (its topology) is made durable — as if the machine had been up long enough for
   * every periodic flush — so a power loss drops what was written during the load. Never fails.
   */
  async beforeLoad(plans: readonly FaultPlan[]): Promise<void> {
    const broker = this.targets.broker;
    if (!broker || !plans.some((p) => p.kind === 'power-loss')) return;
    const { syncBeforeLoad } = await import('./power-loss.ts');
    await syncBeforeLoad(broker).catch((e) => this.log(`syncing ${broker}'s disk: ${describeError(e)}`));
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
      const detail = this.details.get(plan);
      this.details.delete(plan);
      this.recorder.record({
        p: 'nemesis',
        type: 'ok',
        f: 'fault',
        action: 'start',
        ...fields,
        ...(detail && { detail }),
      });
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
      const healed = await undo();
      const detail =
        typeof healed === 'object' && healed !== null ? (healed as Record<string, unknown>) : undefined;
      this.recorder.record({
        p: 'nemesis',
        type: 'ok',
        f: 'fault',
        action: 'stop',
        ...fields,
        ...(detail && { detail }),
      });
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

  /**
   * A drawn fault that never started (the load ended first, or the case was cut short): recorded
   * as a start that failed with reason `cancelled`, so the verdict cannot claim it was tested.
   */
  cancelled(plan: FaultPlan): void {
    this.recorder.record({
      p: 'nemesis',
      type: 'fail',
      f: 'fault',
      action: 'start',
      fault: plan.kind,
      target: this.target(plan),
      params: { ...plan.params, ...(plan.stream && { stream: plan.stream }) },
      reason: 'cancelled',
    });
  }

  /** Heals every active fault (latest first), then makes sure every proxy and the broker are whole. */
  async healAll(): Promise<void> {
    for (const plan of [...this.active.keys()].reverse()) await this.stop(plan);
    for (const targets of [this.targets, this.store]) {
      const { broker } = targets;
      for (const ref of proxiesOf(targets))
        await this.api(ref)
          .heal(ref.proxy)
          .catch((e) => this.log(`healing the proxy ${ref.proxy}: ${describeError(e)}`));
      if (broker)
        await ensureBrokerUp(broker, targets === this.store).catch((e) =>
          this.log(`bringing ${broker} back: ${describeError(e)}`),
        );
    }
    const cluster = this.targets.cluster;
    if (cluster) {
      const { healCluster } = await import('../provision/cluster/control.ts');
      await healCluster(cluster).catch((e) =>
        this.log(`healing the ${cluster.broker} cluster: ${describeError(e)}`),
      );
    }
  }

  private async apply(plan: FaultPlan): Promise<Undo> {
    const { kind } = plan;
    if (isNetworkFault(kind)) {
      const proxies = this.proxies(plan);
      if (proxies.length === 0)
        throw new Error(
          Nemesis.unsupported(kind, this.targets, plan.role, this.store) ?? 'no proxy to act on',
        );
      // Each step is undone in reverse, also when a later step fails (nothing is left half-applied).
      const undo: Undo[] = [];
      const undoAll = async () => {
        for (const step of undo.reverse()) await step();
      };
      try {
        for (const ref of proxies) {
          const api = this.api(ref);
          if (kind === 'partition') {
            await api.setEnabled(ref.proxy, false);
            undo.push(() => api.setEnabled(ref.proxy, true));
            continue;
          }
          const streams =
            plan.stream === 'both' || !plan.stream ? (['upstream', 'downstream'] as const) : [plan.stream];
          for (const stream of streams) {
            const toxic: ToxicSpec = {
              name: `bp-${kind}-${++this.toxicCount}-${stream}`,
              type: TOXIC_TYPES[kind],
              stream,
              attributes: toxicAttributes(plan),
            };
            const name = await api.addToxic(ref.proxy, toxic);
            undo.push(() => api.removeToxic(ref.proxy, name));
          }
        }
      } catch (error) {
        await undoAll().catch(() => {});
        throw error;
      }
      return undoAll;
    }
    if (isBrokerFault(kind)) {
      const broker = this.targetsOf(plan).broker;
      if (!broker)
        throw new Error(plan.role === 'store' ? 'no native store to hurt' : 'no native broker to hurt');
      if (kind === 'power-loss') {
        const { powerLoss } = await import('./power-loss.ts');
        const { detail, restore } = await powerLoss(broker, this.log);
        this.details.set(plan, detail);
        return restore;
      }
      const control = await import('../provision/local/process-control.ts');
      // A broker this run started for itself (power-loss, server settings) is the one to hurt.
      const local = plan.role === 'store' ? {} : await dedicatedOptions(broker);
      if (kind === 'broker-pause') {
        control.pauseBroker(broker, local);
        return async () => {
          control.resumeBroker(broker, local);
        };
      }
      await control.killBroker(broker, local);
      return async () => {
        await control.startBroker(broker, local);
      };
    }
    if (isClusterFault(kind)) {
      const cluster = this.targets.cluster;
      if (!cluster) throw new Error('no cluster to hurt');
      const { applyClusterFault } = await import('./cluster-faults.ts');
      const { detail, undo } = await applyClusterFault(
        plan as FaultPlan & { kind: ClusterFault },
        cluster,
        this.targets.leader,
        this.log,
      );
      this.details.set(plan, detail);
      return undo;
    }
    if (kind === 'producer-crash') {
      if (!this.producers) throw new Error('no producers to crash');
      const index = plan.params.producer ?? 0;
      await this.producers.crash(index);
      return () => this.producers!.restart(index);
    }
    throw new Error(`unknown fault ${kind}`);
  }
}

/** The toxic's own attributes: which consumer a fault targets is ours, not Toxiproxy's. */
function toxicAttributes(plan: FaultPlan): Record<string, number> {
  if (plan.role !== 'consumer') return plan.params;
  const { consumer: _, ...attributes } = plan.params;
  return attributes;
}

/** The process-control options of the dedicated instance this run started for `broker`, if any. */
async function dedicatedOptions(broker: BrokerName) {
  const { dedicatedBroker } = await import('../provision/local/dedicated.ts');
  return dedicatedBroker(broker)?.local ?? {};
}

/** A paused broker is resumed, a dead one started on its data; one that runs is left alone. */
async function ensureBrokerUp(broker: BrokerName, store: boolean): Promise<void> {
  const control = await import('../provision/local/process-control.ts');
  const local = store ? {} : await dedicatedOptions(broker);
  if (control.isBrokerPaused(broker, local)) control.resumeBroker(broker, local);
  if (!control.isBrokerRunning(broker, local)) await control.startBroker(broker, local);
}
