/**
 * An independent reference for the event sourcing and CQRS checker (docs/semantics.md "Event
 * sourcing and CQRS"), written from that section alone, not from scenarios/event-sourcing/. Every
 * predicate is a plain scan over the whole event list: no indexes, no incremental state, quadratic
 * on purpose (test histories are small).
 *
 * Readings it shares with the page:
 * - "before" is file order (`i`); a lag is measured on `t` (µs), reported in ms.
 * - The invocation of an append completion is found by walking back from it to the previous append
 *   event of the same process and event id: that event, if it is an invoke. A query completion
 *   walks back the same way to the previous query event of the same process.
 * - Projections are the groups named by `apply`, `query` `ok` and stream `state` events (`streams`
 *   marker or `stream`), except `replay`. The store's kinds are counted in group `store`, which
 *   exists once any `append` does.
 */
import type { HistoryEvent } from '../../core/events.ts';
import type { Claim } from '../../core/guarantee.ts';

export const ES_KINDS = [
  'forked',
  'expectationIgnored',
  'projectionLost',
  'projectionPhantom',
  'projectionDuplicated',
  'projectionReordered',
  'readModelDiverged',
  'staleRead',
  'nonMonotonicRead',
] as const;
type EsKind = (typeof ES_KINDS)[number];

export interface EsReferenceResult {
  valid: boolean | 'unknown';
  counts: Record<EsKind, number>;
  groups: Record<string, Partial<Record<EsKind, number>>>;
  reasons: number;
  /** Query answers judged for staleness, and every stale read's lag (ms), in file order. */
  queries: number;
  lags: number[];
}

const groupOf = (e: HistoryEvent) => (typeof e.group === 'string' ? e.group : 'default');
const isStreamState = (e: HistoryEvent) =>
  e.f === 'state' && (e.stream !== undefined || e.streams !== undefined);

/** The invoke a completion answers: the previous event of the same kind from the same process (and id). */
function invocationOf(events: HistoryEvent[], c: HistoryEvent): HistoryEvent | undefined {
  for (let k = events.indexOf(c) - 1; k >= 0; k--) {
    const e = events[k]!;
    if (e.f !== c.f || e.p !== c.p || (c.f === 'append' && e.id !== c.id)) continue;
    return e.type === 'invoke' ? e : undefined;
  }
  return undefined;
}

/** Not imported from core/guarantee.ts: the page's claim table, copied by hand. */
function forbidden(claim: Claim): EsKind[] {
  const kinds: EsKind[] = [];
  if (claim.concurrency === 'optimistic') kinds.push('forked', 'expectationIgnored');
  if (claim.concurrency === 'single-writer') kinds.push('forked');
  if (claim.projection === 'at-least-once')
    kinds.push('projectionLost', 'projectionPhantom', 'readModelDiverged');
  if (claim.projection === 'exactly-once' || claim.projection === 'idempotent-by-version')
    kinds.push(
      'projectionLost',
      'projectionPhantom',
      'projectionDuplicated',
      'projectionReordered',
      'readModelDiverged',
    );
  if (claim.projection !== undefined) kinds.push('nonMonotonicRead');
  if (claim.maxStalenessMs !== undefined) kinds.push('staleRead');
  return kinds;
}

export function esReferenceCheck(events: HistoryEvent[], claim: Claim): EsReferenceResult {
  const appends = events.filter((e) => e.f === 'append');
  const oks = appends.filter((e) => e.type === 'ok');
  const ids = [...new Set(appends.map((e) => e.id as string))];
  const acknowledged = (id: string) => oks.some((e) => e.id === id);
  const has = (id: string, type: string) => appends.some((e) => e.id === id && e.type === type);
  const failed = (id: string) => !has(id, 'ok') && !has(id, 'info') && has(id, 'fail');
  const highestAck = (s: string) =>
    Math.max(0, ...oks.filter((e) => e.stream === s).map((e) => e.version as number));

  const counts = Object.fromEntries(ES_KINDS.map((k) => [k, 0])) as Record<EsKind, number>;
  const groups: EsReferenceResult['groups'] = {};
  const bump = (g: string, kind: EsKind, n: number) => {
    groups[g]![kind] = (groups[g]![kind] ?? 0) + n;
    counts[kind] += n;
  };

  // --- the store -----------------------------------------------------------------------------------
  if (appends.length > 0) {
    groups.store = { forked: 0, expectationIgnored: 0 };
    const slots = [...new Set(oks.map((e) => `${e.stream}\u0000${e.version}`))];
    const forks = slots.filter(
      (slot) =>
        new Set(oks.filter((e) => `${e.stream}\u0000${e.version}` === slot).map((e) => e.id)).size > 1,
    );
    bump('store', 'forked', forks.length);
    const ignored = ids.filter((id) =>
      oks.some((ok) => {
        if (ok.id !== id) return false;
        const invoke = invocationOf(events, ok);
        const expected = invoke ? invoke.expected : ok.expected;
        return typeof expected === 'number' && ok.version !== expected + 1;
      }),
    );
    bump('store', 'expectationIgnored', ignored.length);
  }

  // --- projections ---------------------------------------------------------------------------------
  const named = events.filter(
    (e) => e.f === 'apply' || (e.f === 'query' && e.type === 'ok') || isStreamState(e),
  );
  const projections = [...new Set(named.map(groupOf))].filter((g) => g !== 'replay');
  const replayStates = events.filter((e) => isStreamState(e) && groupOf(e) === 'replay');
  const replayed = replayStates.length > 0;
  const lags: number[] = [];
  let queries = 0;
  let reasons = 0;

  for (const g of projections) {
    groups[g] = {};
    for (const kind of ES_KINDS.slice(2)) groups[g]![kind] = 0;
    const applies = events.filter((e) => e.f === 'apply' && groupOf(e) === g);
    const appliedIds = [...new Set(applies.map((e) => e.id as string))];
    bump(g, 'projectionLost', ids.filter((id) => acknowledged(id) && !appliedIds.includes(id)).length);
    bump(g, 'projectionPhantom', appliedIds.filter((id) => !ids.includes(id) || failed(id)).length);
    bump(
      g,
      'projectionDuplicated',
      appliedIds.filter((id) => applies.filter((e) => e.id === id).length > 1).length,
    );
    const reordered = appliedIds.filter((id) => {
      const first = applies.find((e) => e.id === id)!;
      return applies.some(
        (e) =>
          e.i < first.i && e.stream === first.stream && (e.version as number) > (first.version as number),
      );
    });
    bump(g, 'projectionReordered', reordered.length);

    const states = events.filter((e) => isStreamState(e) && groupOf(e) === g);
    if (states.length > 0) {
      const streams = new Set(
        [...oks, ...states, ...replayStates].map((e) => e.stream).filter((s) => typeof s === 'string'),
      );
      let diverged = 0;
      for (const s of streams) {
        const final = states.filter((e) => e.stream === s).at(-1);
        const version = (final?.version as number | undefined) ?? 0;
        if (version < highestAck(s)) {
          diverged++;
          continue;
        }
        if (!replayed) continue;
        const ofStream = replayStates.filter((e) => e.stream === s);
        const head = Math.max(0, ...ofStream.map((e) => e.version as number));
        if (version !== head) {
          diverged++;
          continue;
        }
        const replayDigest = ofStream.filter((e) => e.version === version).at(-1)?.digest;
        if (final?.digest !== undefined && replayDigest !== undefined && final.digest !== replayDigest)
          diverged++;
      }
      bump(g, 'readModelDiverged', diverged);
    } else if (claim.projection !== undefined) reasons++;

    const answers = events.filter((e) => e.f === 'query' && e.type === 'ok' && groupOf(e) === g);
    const backwards = answers.filter((q) =>
      answers.some(
        (r) =>
          r.i < q.i && r.p === q.p && r.stream === q.stream && (r.version as number) > (q.version as number),
      ),
    );
    bump(g, 'nonMonotonicRead', backwards.length);
    let stale = 0;
    for (const q of answers) {
      const invoke = invocationOf(events, q);
      if (!invoke) continue;
      queries++;
      const newer = oks.filter(
        (a) => a.stream === q.stream && (a.version as number) > (q.version as number) && a.i < invoke.i,
      );
      if (newer.length === 0) continue;
      const lag = Math.max(0, invoke.t - newer[0]!.t) / 1000;
      lags.push(lag);
      if (claim.maxStalenessMs === undefined || lag > claim.maxStalenessMs) stale++;
    }
    bump(g, 'staleRead', stale);
  }

  if (claim.projection !== undefined) {
    if (projections.length === 0 && oks.length > 0) reasons++;
    if (projections.length > 0 && !replayed) reasons++;
  }
  const valid = forbidden(claim).some((k) => counts[k] > 0) ? false : reasons > 0 ? 'unknown' : true;
  return { valid, counts, groups, reasons, queries, lags };
}

/** Nearest rank, by counting: the smallest lag with at least p of all lags at or below it. */
export function referencePercentile(lags: number[], p: number): number {
  if (lags.length === 0) return 0;
  const candidates = [...new Set(lags)].sort((a, b) => a - b);
  return candidates.find((x) => lags.filter((l) => l <= x).length >= p * lags.length) ?? candidates.at(-1)!;
}
