import type { CheckerFamily, FamilyAnomaly, FamilyPass, FamilyResult } from '../../../core/checker-family.ts';
import {
  type ApplyEvent,
  groupOf,
  type HistoryEvent,
  type QueryEvent,
  REPLAY_GROUP,
  type StateEvent,
} from '../../../core/events.ts';
import type { AnomalyKind, Claim } from '../../../core/guarantee.ts';
import { divergedStreams, type ReadBack, readBack, recordState } from './read-model.ts';
import { firstAbove, lagDistribution, type StaleReadMeasurement } from './staleness.ts';

/** What the appends of one event id came to. */
interface Appended {
  stream: string;
  /** First `ok` (-1: none), first `fail` (-1: none), any `info`. */
  firstOk: number;
  version: number;
  firstFail: number;
  info: boolean;
}

/** Acknowledged versions of one stream, in file order, with their running maximum. */
interface Acks {
  i: number[];
  t: number[];
  version: number[];
  runningMax: number[];
}

interface Projection {
  applies: Map<string, { count: number; first: number; second: number; stream: string; version: number }>;
  /** Per stream, the highest version applied so far and the apply that first reached it. */
  highest: Map<string, { version: number; i: number }>;
  /** Per (process, stream): the highest version that process has been shown, and where. */
  shown: Map<string, { version: number; i: number }>;
  queries: number;
  lags: number[];
  found: FamilyAnomaly[];
  stale: { lag: number; anomaly: FamilyAnomaly }[];
  state: ReadBack;
}

export const PROJECTION_KINDS: readonly AnomalyKind[] = [
  'projectionLost',
  'projectionPhantom',
  'projectionDuplicated',
  'projectionReordered',
  'readModelDiverged',
  'staleRead',
  'nonMonotonicRead',
];

/**
 * The projections' family (docs/semantics.md "Event sourcing and CQRS"), per projection g: what g
 * applied against what the store acknowledged, what its queries showed against what had been
 * acknowledged before them, and its read-back against the store's replay. Staleness is measured
 * whatever the claim (`staleReads`); it is counted as `staleRead` past a claimed bound, or every
 * stale read without one.
 */
export const projectionFamily: CheckerFamily = {
  name: 'projections',
  kinds: PROJECTION_KINDS,
  start: (claim: Claim): FamilyPass => {
    const appended = new Map<string, Appended>();
    const acks = new Map<string, Acks>();
    const projections = new Map<string, Projection>();
    const replay = readBack();
    const openQueries = new Map<string, QueryEvent>();
    const projection = (name: string) => {
      let g = projections.get(name);
      if (!g) {
        g = {
          applies: new Map(),
          highest: new Map(),
          shown: new Map(),
          queries: 0,
          lags: [],
          found: [],
          stale: [],
          state: readBack(),
        };
        projections.set(name, g);
      }
      return g;
    };

    const apply = (e: ApplyEvent) => {
      const g = projection(groupOf(e));
      const seen = g.applies.get(e.id);
      if (seen) {
        if (++seen.count === 2) seen.second = e.i;
      } else {
        g.applies.set(e.id, { count: 1, first: e.i, second: -1, stream: e.stream, version: e.version });
        const before = g.highest.get(e.stream);
        if (before && before.version > e.version) {
          g.found.push({
            kind: 'projectionReordered',
            id: e.id,
            group: groupOf(e),
            events: [before.i, e.i],
            detail: `${groupOf(e)} first applied version ${e.version} of ${e.stream} after version ${before.version}`,
          });
        }
      }
      const top = g.highest.get(e.stream);
      if (!top || e.version > top.version) g.highest.set(e.stream, { version: e.version, i: e.i });
    };

    const answer = (e: QueryEvent, invoke: QueryEvent | undefined) => {
      const name = groupOf(e);
      const g = projection(name);
      const stream = e.stream as string;
      const version = e.version as number;
      const key = `${e.p}\u0000${stream}`;
      const earlier = g.shown.get(key);
      if (earlier && earlier.version > version) {
        g.found.push({
          kind: 'nonMonotonicRead',
          id: stream,
          group: name,
          events: [earlier.i, e.i],
          detail: `${e.p} was shown ${stream} at version ${version} by ${name} after it had been shown version ${earlier.version}`,
        });
      } else if (!earlier || version > earlier.version) g.shown.set(key, { version, i: e.i });
      if (!invoke) return;
      g.queries++;
      const a = acks.get(stream);
      const k = a ? firstAbove(a.runningMax, version) : -1;
      if (!a || k < 0 || a.i[k]! >= invoke.i) return;
      const lag = Math.max(0, invoke.t - a.t[k]!) / 1000;
      g.lags.push(lag);
      g.stale.push({
        lag,
        anomaly: {
          kind: 'staleRead',
          id: stream,
          group: name,
          events: [a.i[k]!, invoke.i, e.i],
          detail: `${name} showed ${stream} at version ${version} to ${e.p}, ${lag} ms after version ${a.version[k]} was acknowledged`,
        },
      });
    };

    const append = (e: HistoryEvent & { f: 'append' }) => {
      let x = appended.get(e.id);
      if (!x) {
        x = { stream: e.stream, firstOk: -1, version: 0, firstFail: -1, info: false };
        appended.set(e.id, x);
      }
      if (e.type === 'ok' && e.version !== undefined) {
        if (x.firstOk < 0) {
          x.firstOk = e.i;
          x.version = e.version;
        }
        let a = acks.get(e.stream);
        if (!a) {
          a = { i: [], t: [], version: [], runningMax: [] };
          acks.set(e.stream, a);
        }
        a.i.push(e.i);
        a.t.push(e.t);
        a.version.push(e.version);
        a.runningMax.push(Math.max(e.version, a.runningMax.at(-1) ?? 0));
      } else if (e.type === 'fail' && x.firstFail < 0) x.firstFail = e.i;
      else if (e.type === 'info') x.info = true;
    };

    return {
      add(e: HistoryEvent) {
        if (e.f === 'append') append(e);
        else if (e.f === 'apply') apply(e);
        else if (e.f === 'query') {
          // A process has one query in flight: a completion answers its latest open invoke.
          const invoke = openQueries.get(e.p);
          if (e.type === 'invoke') openQueries.set(e.p, e);
          else {
            openQueries.delete(e.p);
            if (e.type === 'ok') answer(e, invoke);
          }
        } else if (e.f === 'state' && (e.stream !== undefined || e.streams !== undefined)) {
          const name = groupOf(e);
          recordState(name === REPLAY_GROUP ? replay : projection(name).state, e as StateEvent);
        }
      },
      result: () => judge(claim, appended, acks, projections, replay),
    };
  },
};

function judge(
  claim: Claim,
  appended: Map<string, Appended>,
  acks: Map<string, Acks>,
  projections: Map<string, Projection>,
  replay: ReadBack,
): FamilyResult {
  const counts: FamilyResult['counts'] = {};
  const anomalies: FamilyAnomaly[] = [];
  const reasons: string[] = [];
  const bound = claim.maxStalenessMs;
  const highestAck = new Map<string, { version: number; i: number }>();
  for (const [stream, a] of acks) {
    const top = a.runningMax.at(-1)!;
    highestAck.set(stream, { version: top, i: a.i[a.version.indexOf(top)]! });
  }
  const measured: StaleReadMeasurement = { queries: 0, lagMs: lagDistribution([]), overBound: 0, groups: {} };
  if (bound !== undefined) measured.maxStalenessMs = bound;
  const allLags: number[] = [];

  for (const [name, g] of projections) {
    const found: FamilyAnomaly[] = [];
    for (const [id, x] of appended) {
      if (x.firstOk < 0 || g.applies.has(id)) continue;
      found.push({
        kind: 'projectionLost',
        id,
        group: name,
        events: [x.firstOk],
        detail: `event ${id} (${x.stream} version ${x.version}) was acknowledged but never applied by ${name}`,
      });
    }
    for (const [id, applied] of g.applies) {
      const x = appended.get(id);
      if (!x || (x.firstOk < 0 && !x.info && x.firstFail >= 0)) {
        found.push({
          kind: 'projectionPhantom',
          id,
          group: name,
          events: [applied.first, x?.firstFail ?? -1].filter((i) => i >= 0),
          detail: x
            ? `${name} applied event ${id}, whose append to ${x.stream} failed`
            : `${name} applied event ${id}, which no writer ever appended`,
        });
      }
      if (applied.count > 1) {
        found.push({
          kind: 'projectionDuplicated',
          id,
          group: name,
          events: [applied.first, applied.second],
          detail: `${name} applied event ${id} ${applied.count} times`,
        });
      }
    }
    if (g.state.readBack) found.push(...divergedStreams(name, g.state, replay, highestAck));
    found.push(...g.found);
    for (const s of g.stale) if (bound === undefined || s.lag > bound) found.push(s.anomaly);
    if (bound !== undefined) measured.overBound += g.stale.filter((s) => s.lag > bound).length;

    const c: Partial<Record<AnomalyKind, number>> = {};
    for (const kind of PROJECTION_KINDS) c[kind] = 0;
    for (const a of found) c[a.kind]!++;
    counts[name] = c;
    anomalies.push(...found);
    measured.queries += g.queries;
    measured.groups[name] = { queries: g.queries, lagMs: lagDistribution(g.lags) };
    allLags.push(...g.lags);
  }
  measured.lagMs = lagDistribution(allLags);

  // Without a projection claim nothing here is forbidden that a missing read-back could hide.
  if (claim.projection !== undefined) {
    if (projections.size === 0 && highestAck.size > 0) {
      reasons.push(
        'a projection is claimed, but no projection applied an event, was queried or was read back',
      );
    }
    for (const [name, g] of projections) {
      if (!g.state.readBack)
        reasons.push(`the read model of ${name} was not read back: whether it converged cannot be judged`);
    }
    if (projections.size > 0 && !replay.readBack) {
      reasons.push(
        `the event store was not replayed (no state of group ${REPLAY_GROUP}): read models cannot be compared with it`,
      );
    }
  }
  return {
    counts,
    anomalies,
    reasons,
    ...(measured.queries > 0 && { measurements: { staleReads: measured } }),
  };
}
