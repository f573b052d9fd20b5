import { join } from 'node:path';
import { CaseClock } from '../core/clock.ts';
import { type FaultEvent, HISTORY_VERSION, type Phase } from '../core/events.ts';
import { History, HistoryWriter } from '../core/history-writer.ts';
import { type CasePlan, type CaseResult, variantOf } from './case.ts';
import { CoverageCollector } from './coverage.ts';
import { LiveRetryIntervals } from './live-retry-intervals.ts';

/** What names a case, in its meta line and in its result: enough to replay it. */
export function caseIdentity(plan: CasePlan) {
  return {
    driver: plan.driver,
    setup: plan.setup.name,
    scenario: plan.scenario.name,
    ...(plan.scenario.variants?.length && { variant: variantOf(plan) }),
    ...(plan.store !== undefined && { store: plan.store }),
    guarantee: plan.claim,
    seed: plan.seed,
    path: plan.path,
  };
}

/**
 * A case's history file and what is folded from its events as they are recorded: phases, crashes,
 * the fault timeline, fault coverage and retry intervals.
 */
export class CaseRecording {
  readonly path: string;
  readonly writer: HistoryWriter;
  readonly history: History;
  private readonly retries = new LiveRetryIntervals();
  private readonly coverage = new CoverageCollector();
  private readonly phases: CaseResult['phases'] = [];
  private readonly crashes: CaseResult['crashes'] = [];
  private readonly faultTimeline: CaseResult['faultTimeline'] = [];

  constructor(plan: CasePlan, outDir: string, groups: readonly string[], startedMs: number) {
    this.path = join(outDir, 'histories', `${plan.id}.ndjson`);
    this.writer = new HistoryWriter(this.path, {
      type: 'meta',
      version: HISTORY_VERSION,
      caseId: plan.id,
      ...caseIdentity(plan),
      groups: [...groups],
      faults: [...plan.faults],
      workload: plan.workload,
      startedAt: new Date(startedMs).toISOString(),
    });
    this.history = new History(this.writer, new CaseClock());
    this.history.onEvent((e) => {
      this.retries.add(e);
      this.coverage.add(e);
      if (e.f === 'phase')
        this.phases.push({ phase: e.phase, t: e.t, ...(e.cutOff === true && { cutOff: true }) });
      if (e.f === 'crash' && e.type === 'info')
        this.crashes.push({
          target: e.target,
          t: e.t,
          ...(typeof e.point === 'string' && { point: e.point }),
        });
      if (e.f === 'fault' && e.type !== 'invoke') trackFault(this.faultTimeline, e);
    });
  }

  phase(name: Phase, extra: Record<string, unknown> = {}): void {
    this.history.record({ p: 'harness', type: 'ok', f: 'phase', phase: name, ...extra });
  }

  /** Everything on disk (the checker reads the file). */
  flush(): void {
    this.history.flush();
    this.writer.flush();
  }

  close(): void {
    this.history.flush();
    this.writer.close();
  }

  /** The last fault that started, for a deadline's reason. */
  lastFault(): string | undefined {
    const last = this.faultTimeline.at(-1);
    return last ? `last fault: ${last.fault} on ${last.target}` : undefined;
  }

  summary() {
    return {
      phases: this.phases,
      crashes: this.crashes,
      faultTimeline: this.faultTimeline,
      coverage: this.coverage.result(),
      retryIntervals: this.retries.result(),
      events: this.history.size,
    };
  }
}

/** Network, broker and producer faults on the report's timeline: start, heal, or why they failed. */
function trackFault(timeline: CaseResult['faultTimeline'], e: FaultEvent): void {
  if (e.action === 'start') {
    timeline.push({
      fault: e.fault,
      target: e.target,
      ...(e.params && { params: e.params }),
      ...(Array.isArray(e.detail?.nodes) && { nodes: e.detail.nodes.map(String) }),
      ...(typeof e.detail?.leader === 'string' && { leader: e.detail.leader }),
      startT: e.t,
      ...(e.type === 'fail' && { error: String(e.error ?? e.reason ?? 'failed') }),
    });
    return;
  }
  const open = timeline.find((f) => f.fault === e.fault && f.target === e.target && f.stopT === undefined);
  if (!open) return;
  open.stopT = e.t;
  if (typeof e.detail?.leader === 'string') open.leaderAfter = e.detail.leader;
}
