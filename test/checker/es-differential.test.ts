/**
 * Differential property test for event sourcing and CQRS: the checker families
 * (scenarios/event-sourcing/, composed through check()) against the naive reference
 * (es-reference-checker.ts) on generated histories — concurrent appends with stale expectations and
 * conflicts, unknown outcomes and retries, a store that may ignore expectations or fork, projections
 * that drop, duplicate, reorder or skip by version, reads (some answered backwards), and read-backs
 * that may be missing or wrong. Counts per group, validity and the staleness measurement must agree.
 *
 * ES_DIFF_RUNS=5000 npx vitest run test/checker/es-differential.test.ts  runs a longer search.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../../checker/check.ts';
import type { EventInput, HistoryEvent } from '../../core/events.ts';
import type { Claim } from '../../core/guarantee.ts';
import {
  eventSourcingChecker,
  type StaleReadMeasurement,
} from '../../scenarios/kit/event-sourcing/checker.ts';
import { ES_KINDS, esReferenceCheck, referencePercentile } from './es-reference-checker.ts';

type Draft = EventInput;
interface Published {
  id: string;
  stream: string;
  version: number;
}
interface Command {
  id: string;
  stream: string;
}

function buildCase(g: fc.GeneratorValue): { claim: Claim; events: HistoryEvent[] } {
  const int = (min: number, max: number) => g(fc.integer, { min, max });
  const chance = (percent: number) => int(0, 99) < percent;
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;

  const claim: Claim = { delivery: 'at-least-once', ordering: 'none' };
  const concurrency = pick([undefined, 'optimistic', 'single-writer'] as const);
  const projectionClaim = pick([
    undefined,
    'exactly-once',
    'at-least-once',
    'idempotent-by-version',
  ] as const);
  if (concurrency) claim.concurrency = concurrency;
  if (projectionClaim) claim.projection = projectionClaim;
  if (chance(40)) claim.maxStalenessMs = int(0, 12);

  const storeBug = pick(['none', 'ignore', 'fork'] as const);
  const publishRejected = chance(15);
  const streams = ['s0', 's1', 's2'].slice(0, int(1, 3));
  const drafts: Draft[] = [];

  // The store: per stream the head version and what it holds, in version order.
  const head = new Map(streams.map((s) => [s, 0]));
  const stored = new Map<string, Published[]>(streams.map((s) => [s, []]));
  const bus: Published[] = [];
  const store = (p: Published) => {
    stored.get(p.stream)!.push(p);
    head.set(p.stream, Math.max(head.get(p.stream)!, p.version));
    bus.push(p);
  };
  if (chance(8)) bus.push({ id: 'ghost', stream: streams[0]!, version: 1 }); // never appended

  // Writers: each runs its commands one at a time, reading the head (or a stale copy) as its expectation.
  const writers = Array.from({ length: int(1, 3) }, (_, w) => ({
    p: `writer-${w}`,
    commands: Array.from(
      { length: int(1, 4) },
      (_, k): Command => ({ id: `e${w}-${k}`, stream: pick(streams) }),
    ),
    known: new Map<string, number>(),
    inFlight: undefined as (Command & { expected: number | 'any' }) | undefined,
  }));

  const projections = ['proj-a', 'proj-b'].slice(0, int(1, 2)).map((name) => ({
    name,
    mode: pick(['clean', 'clean', 'lossy', 'dupes', 'reorder', 'byVersion', 'stops'] as const),
    cursor: 0,
    budget: int(2, 12),
    version: new Map<string, number>(),
    applied: new Map<string, string[]>(),
  }));

  const readers = Array.from({ length: chance(85) ? int(1, 2) : 0 }, (_, r) => ({
    p: `reader-${r}`,
    left: int(1, 6),
    open: undefined as { group: string; stream: string } | undefined,
  }));

  for (;;) {
    const steps: (() => void)[] = [];
    for (const w of writers) {
      if (!w.inFlight && w.commands.length > 0)
        steps.push(() => {
          const c = w.commands.shift()!;
          if (chance(45)) w.known.set(c.stream, head.get(c.stream)!);
          const expected = chance(15) ? 'any' : (w.known.get(c.stream) ?? 0);
          w.inFlight = { ...c, expected };
          drafts.push({ p: w.p, type: 'invoke', f: 'append', id: c.id, stream: c.stream, expected });
        });
      if (w.inFlight)
        steps.push(() => {
          const c = w.inFlight!;
          w.inFlight = undefined;
          const h = head.get(c.stream)!;
          let version: number | undefined;
          if (c.expected === 'any' || c.expected === h) version = h + 1;
          else if (storeBug === 'ignore' && chance(80)) version = h + 1;
          else if (storeBug === 'fork' && chance(80)) version = c.expected + 1;
          const roll = int(0, 99);
          if (version !== undefined) {
            store({ id: c.id, stream: c.stream, version });
            w.known.set(c.stream, version);
            if (roll < 80)
              drafts.push({ p: w.p, type: 'ok', f: 'append', id: c.id, stream: c.stream, version });
            else if (roll < 93)
              drafts.push({ p: w.p, type: 'info', f: 'append', id: c.id, stream: c.stream });
          } else {
            if (publishRejected && chance(40)) bus.push({ id: c.id, stream: c.stream, version: h + 1 });
            const type = roll < 85 ? 'fail' : 'info';
            drafts.push({ p: w.p, type, f: 'append', id: c.id, stream: c.stream, error: 'conflict' });
          }
          if (roll >= 80 && chance(40)) w.commands.unshift({ id: c.id, stream: c.stream }); // retry
        });
    }
    for (const pr of projections) {
      if (pr.cursor >= bus.length || (pr.mode === 'stops' && pr.budget <= 0)) continue;
      steps.push(() => {
        pr.budget--;
        if (pr.mode === 'reorder' && pr.cursor + 1 < bus.length && chance(30)) {
          [bus[pr.cursor], bus[pr.cursor + 1]] = [bus[pr.cursor + 1]!, bus[pr.cursor]!];
        }
        const e = bus[pr.cursor++]!;
        if (pr.mode === 'lossy' && chance(20)) return;
        if (pr.mode === 'byVersion' && e.version <= (pr.version.get(e.stream) ?? 0)) return;
        const times = pr.mode === 'dupes' && chance(25) ? 2 : 1;
        for (let n = 0; n < times; n++) {
          drafts.push({ p: `projector-${pr.name}`, type: 'ok', f: 'apply', group: pr.name, ...e });
          pr.version.set(e.stream, e.version);
          pr.applied.set(e.stream, [...(pr.applied.get(e.stream) ?? []), e.id]);
        }
      });
    }
    for (const r of readers) {
      if (r.open)
        steps.push(() => {
          const { group, stream } = r.open!;
          r.open = undefined;
          const roll = int(0, 99);
          if (roll < 6) {
            drafts.push({ p: r.p, type: pick(['fail', 'info'] as const), f: 'query', group, error: 'x' });
            return;
          }
          let version = projections.find((x) => x.name === group)!.version.get(stream) ?? 0;
          if (roll < 20 && version > 0) version = int(0, version - 1); // a read served from an old replica
          drafts.push({ p: r.p, type: 'ok', f: 'query', group, stream, version });
        });
      else if (r.left > 0)
        steps.push(() => {
          r.left--;
          r.open = { group: pick(projections).name, stream: pick(streams) };
          if (!chance(8)) drafts.push({ p: r.p, type: 'invoke', f: 'query', ...r.open });
        });
    }
    if (steps.length === 0) break;
    pick(steps)();
  }

  // Read-backs: each projection's read model, then the store replayed (either may be missing or wrong).
  const digest = (ids: string[]) => ids.join('+');
  for (const pr of projections) {
    if (!chance(85)) continue;
    drafts.push({ p: 'harness', type: 'ok', f: 'state', group: pr.name, streams: pr.version.size });
    for (const [stream, version] of pr.version) {
      if (chance(4)) continue;
      const d = chance(8) ? 'corrupt' : digest(pr.applied.get(stream)!);
      drafts.push({ p: 'harness', type: 'ok', f: 'state', group: pr.name, stream, version, digest: d });
    }
  }
  if (chance(80)) {
    drafts.push({ p: 'harness', type: 'ok', f: 'state', group: 'replay', streams: streams.length });
    for (const stream of streams) {
      const events = [...stored.get(stream)!].sort((a, b) => a.version - b.version);
      const d = digest(events.map((e) => e.id));
      drafts.push({
        p: 'harness',
        type: 'ok',
        f: 'state',
        group: 'replay',
        stream,
        version: head.get(stream)!,
        digest: d,
      });
    }
  }

  let t = 0;
  const events = drafts.map((d, i) => {
    t += int(100, 4000);
    return { ...d, i, t } as HistoryEvent;
  });
  return { claim, events };
}

const caseArbitrary = fc.gen().map(buildCase);

describe('differential: event sourcing families vs the naive reference', () => {
  it('agrees on every count (per group and summed), validity and staleness', () => {
    fc.assert(
      fc.property(caseArbitrary, ({ claim, events }) => {
        const expected = esReferenceCheck(events, claim);
        const actual = check(events, { claim, families: [eventSourcingChecker] });
        for (const kind of ES_KINDS)
          expect({ kind, n: actual.counts[kind] }).toEqual({ kind, n: expected.counts[kind] });
        for (const [g, counts] of Object.entries(actual.groups)) {
          const picked: Record<string, number> = {};
          for (const kind of ES_KINDS)
            if (counts.counts[kind] || expected.groups[g]?.[kind] !== undefined)
              picked[kind] = counts.counts[kind];
          expect({ g, picked }).toEqual({ g, picked: expected.groups[g] ?? {} });
        }
        for (const g of Object.keys(expected.groups)) expect(actual.groups).toHaveProperty([g]);
        expect(actual.valid).toBe(expected.valid);
        const measured = actual.measurements?.staleReads as StaleReadMeasurement | undefined;
        if (expected.queries === 0) expect(measured).toBeUndefined();
        else {
          const lags = expected.lags;
          expect(measured?.queries).toBe(expected.queries);
          expect(measured?.lagMs).toEqual({
            count: lags.length,
            p50: referencePercentile(lags, 0.5),
            p95: referencePercentile(lags, 0.95),
            p99: referencePercentile(lags, 0.99),
            max: referencePercentile(lags, 1),
          });
        }
      }),
      { numRuns: Number(process.env.ES_DIFF_RUNS ?? 400) },
    );
  });
});

describe('the event sourcing history generator is not vacuous', () => {
  it('makes every kind and every verdict occur in a good fraction of 400 histories', () => {
    const samples = fc.sample(caseArbitrary, { numRuns: 400, seed: 7 });
    const nonZero = Object.fromEntries(ES_KINDS.map((k) => [k, 0])) as Record<string, number>;
    const verdicts = { true: 0, false: 0, unknown: 0 };
    let measured = 0;
    for (const { claim, events } of samples) {
      const r = esReferenceCheck(events, claim);
      for (const kind of ES_KINDS) if (r.counts[kind] > 0) nonZero[kind]!++;
      verdicts[String(r.valid) as keyof typeof verdicts]++;
      if (r.lags.length > 0) measured++;
    }
    for (const [kind, runs] of Object.entries(nonZero))
      expect({ kind, enough: runs / samples.length >= 0.05 }).toEqual({ kind, enough: true });
    expect(verdicts.true / samples.length).toBeGreaterThanOrEqual(0.1);
    expect(verdicts.false / samples.length).toBeGreaterThanOrEqual(0.1);
    expect(verdicts.unknown / samples.length).toBeGreaterThanOrEqual(0.03);
    expect(measured / samples.length).toBeGreaterThanOrEqual(0.1);
  });
});
