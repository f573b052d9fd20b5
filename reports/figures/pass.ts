/**
 * One pass over a case's history (events in file order) computing its figures: the same events
 * always give the same figures. No I/O; reading the file is figures/read.ts's job.
 */
import type { HistoryEvent } from '../../core/events.ts';
import { bytes, float64s, MessageSlots, SlotColumn } from '../../core/per-message.ts';
import { latencyFigures } from './latency.ts';
import { type FaultSpan, GapTracker, recoveries } from './recovery.ts';
import { SeriesCounter } from './series.ts';
import { type CaseFigures, FIGURES_VERSION } from './types.ts';

const ms = (t: number) => t / 1000;

export class FiguresPass {
  private readonly series = new SeriesCounter();
  private readonly totals = { sendOk: 0, sendInfo: 0, sendFail: 0, deliveries: 0, processed: 0 };
  private endMs = 0;
  private load: { fromMs: number; toMs: number } | undefined;
  private loadOpen = false;
  // Per message, in typed arrays (a case of 10^6 messages keeps no id strings): see MessageSlots.
  private readonly slots = new MessageSlots();
  // Latency: the first send invoke per id, then the first process per id.
  private readonly firstInvoke = new SlotColumn(float64s, Number.NaN);
  private readonly processedIds = new SlotColumn(bytes);
  private readonly latencyAt: number[] = [];
  private readonly latency: number[] = [];
  // Recovery and availability.
  private readonly sendOkMs: number[] = [];
  private readonly deliveryMs: number[] = [];
  private readonly faults: FaultSpan[] = [];
  private readonly openFaults = new Map<string, FaultSpan>();
  private healPhaseMs: number | undefined;
  private inFlight = 0;
  private lastSendActivityMs = 0;
  private readonly sendGaps = new GapTracker();
  private readonly deliveryGaps = new GapTracker();
  /** Acknowledged ids not yet delivered in any group (1), and how many. */
  private readonly waiting = new SlotColumn(bytes);
  private waitingCount = 0;
  private readonly delivered = new SlotColumn(bytes);

  add(e: HistoryEvent): void {
    const t = ms(e.t);
    if (t > this.endMs) this.endMs = t;
    switch (e.f) {
      case 'phase':
        this.phase(e.phase as string, t);
        break;
      case 'send':
        this.send(e, t);
        break;
      case 'deliver':
        this.deliver(this.slots.slot(String(e.id)), t);
        break;
      case 'process':
        this.process(this.slots.slot(String(e.id)), t);
        break;
      case 'fault':
        this.fault(e, t);
        break;
      case 'crash':
        if (e.type === 'info') {
          const label = `crash ${String(e.target)}${e.point ? ` (${String(e.point)})` : ''}`;
          this.faults.push({ kind: 'crash', label, startMs: t, healedAtMs: t });
        }
        break;
      default:
        break;
    }
  }

  private phase(phase: string, t: number): void {
    if (phase === 'load') {
      this.load = { fromMs: t, toMs: t };
      this.loadOpen = true;
    } else if (this.loadOpen) {
      this.load!.toMs = t;
      this.loadOpen = false;
    }
    if (phase === 'heal') this.healPhaseMs = t;
  }

  private send(e: HistoryEvent, t: number): void {
    const id = this.slots.slot(String(e.id));
    this.lastSendActivityMs = t;
    if (e.type === 'invoke') {
      if (Number.isNaN(this.firstInvoke.get(id))) this.firstInvoke.set(id, t);
      this.inFlight++;
      this.sendGaps.waiting(t);
      return;
    }
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (e.type === 'ok') {
      this.totals.sendOk++;
      this.series.add('sendOk', t);
      this.sendOkMs.push(t);
      this.sendGaps.success(t, this.inFlight > 0);
      if (this.delivered.get(id) === 0) {
        if (this.waiting.get(id) === 0) this.waitingCount++;
        this.waiting.set(id, 1);
        this.deliveryGaps.waiting(t);
      }
    } else if (e.type === 'info') {
      this.totals.sendInfo++;
      this.series.add('sendInfo', t);
    } else {
      this.totals.sendFail++;
      this.series.add('sendFail', t);
    }
  }

  private deliver(id: number, t: number): void {
    this.totals.deliveries++;
    this.series.add('deliveries', t);
    this.deliveryMs.push(t);
    this.delivered.set(id, 1);
    if (this.waiting.get(id) === 1) {
      this.waiting.set(id, 0);
      this.waitingCount--;
    }
    this.deliveryGaps.success(t, this.waitingCount > 0);
  }

  private process(id: number, t: number): void {
    this.totals.processed++;
    if (this.processedIds.get(id) === 1) return;
    this.processedIds.set(id, 1);
    const invoked = this.firstInvoke.get(id);
    if (Number.isNaN(invoked)) return;
    this.latencyAt.push(invoked);
    this.latency.push(Math.max(0, t - invoked));
  }

  private fault(e: HistoryEvent, t: number): void {
    if (e.type !== 'ok') return;
    const key = `${String(e.fault)}\u0000${String(e.target)}`;
    if (e.action === 'start') {
      const span: FaultSpan = {
        kind: 'fault',
        label: `${String(e.fault)} on ${String(e.target)}`,
        startMs: t,
        healedAtMs: null,
      };
      this.faults.push(span);
      this.openFaults.set(key, span);
    } else if (e.action === 'stop') {
      const span = this.openFaults.get(key);
      if (span) span.healedAtMs = t;
      this.openFaults.delete(key);
    }
  }

  result(): CaseFigures {
    // A fault with no stop of its own was healed by the heal phase, if the history reached it.
    for (const span of this.openFaults.values())
      if (this.healPhaseMs !== undefined && this.healPhaseMs >= span.startMs)
        span.healedAtMs = this.healPhaseMs;
    const sendOk = Float64Array.from(this.sendOkMs).sort();
    const deliveries = Float64Array.from(this.deliveryMs).sort();
    const sends = this.sendGaps.result(this.lastSendActivityMs);
    const delivered = this.deliveryGaps.result(this.endMs);
    const longest = (w: { durationMs: number }[]) => w.reduce((m, x) => Math.max(m, x.durationMs), 0);
    return {
      version: FIGURES_VERSION,
      endMs: Math.round(this.endMs * 1000) / 1000,
      load: this.load,
      totals: { ...this.totals },
      throughput: this.series.result(this.endMs),
      latency: latencyFigures(this.latencyAt, this.latency),
      faults: recoveries(this.faults, sendOk, deliveries),
      unavailability: {
        thresholdMs: { sends: sends.thresholdMs, deliveries: delivered.thresholdMs },
        sends: sends.windows,
        deliveries: delivered.windows,
        longestSendGapMs: longest(sends.windows),
        longestDeliveryGapMs: longest(delivered.windows),
      },
    };
  }
}

/** Figures of a whole history held in memory. */
export function computeFigures(events: Iterable<HistoryEvent>): CaseFigures {
  const pass = new FiguresPass();
  for (const e of events) pass.add(e);
  return pass.result();
}
