/**
 * Differential property test: the production checker (`checker/check.ts`) against the literal
 * reference implementation of checker semantics v2 (`reference-checker.ts`, docs/semantics.md), on
 * random but well-formed histories and random claims: every count, the verdict, the fault-integrity
 * summary and the reasons must agree. A companion test proves the generator is not vacuous: every
 * anomaly kind, every verdict and every fault-integrity outcome shows up in a good fraction of
 * histories, and so do the cases where v1 and v2 differ (ack before process, processing order
 * unlike delivery order).
 *
 * DIFF_RUNS=20000 npx vitest run test/checker/differential.test.ts  runs a longer search.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../../checker/check.ts';
import type { HistoryEvent } from '../../core/events.ts';
import type { Claim, DeliveryGuarantee, OrderingScope } from '../../core/guarantee.ts';
import {
  REFERENCE_ANOMALY_KINDS,
  REFERENCE_COUNT_NAMES,
  REFERENCE_GROUP_COUNT_NAMES,
  referenceCheck,
} from './reference-checker.ts';

interface GeneratedCase {
  claim: Claim;
  declaredGroups: string[] | undefined;
  events: HistoryEvent[];
}

const DELIVERIES: DeliveryGuarantee[] = ['at-least-once', 'at-most-once', 'exactly-once', 'effectively-once'];
const ORDERINGS: OrderingScope[] = ['none', 'per-key', 'per-partition', 'total'];
const GROUP_POOL = ['default', 'g1', 'g2', 'g3'];
// Skewed so that messages often share an ordering scope.
const DESTS = ['q1', 'q1', 'q1', 'q2'];
const KEYS: (string | undefined)[] = ['k1', 'k1', 'k1', 'k2', undefined];

type Draft = Record<string, unknown> & { p: string; type: HistoryEvent['type']; f: HistoryEvent['f'] };

interface Attempt {
  id: string;
  p: string;
  invoke: Draft;
  /** Missing when the producer never learnt the outcome (the invoke stays open). */
  completion: Draft | undefined;
  /** Index of this attempt among its message's attempts (a retry waits for the previous one). */
  n: number;
}

/**
 * Draws one history. All draws go through `int`, whose shrink target (the minimum) is the simpler
 * choice wherever that was easy to arrange (fewer rounds, no retry, ok outcomes, first step first),
 * so fast-check shrinks towards short, sequential histories.
 */
function buildCase(gen: fc.GeneratorValue): GeneratedCase {
  const int = (min: number, max: number) => gen(fc.integer, { min, max });
  const chance = (percent: number) => int(0, 99) >= 100 - percent;
  const pick = <T>(values: readonly T[]): T => values[int(0, values.length - 1)]!;

  const claim: Claim = {
    delivery: pick(DELIVERIES),
    ordering: pick(ORDERINGS),
    maxAttempts: chance(50) ? pick([1, 2, 1, 3, 4]) : undefined,
  };

  const clean = chance(25); // a mostly well-behaved run, so that `valid: true` is common too
  const nProducers = int(1, 3);
  const nMessages = chance(10) ? 1 : int(2, 7);
  const groupOffset = chance(30) ? 1 : 0;
  const groups = GROUP_POOL.slice(groupOffset, groupOffset + int(1, 3));
  const declaredGroups = chance(35) ? GROUP_POOL.filter(() => chance(50)) : undefined;
  const effectsOn = chance(60);
  /** For the default group the `group` field is usually left out (it defaults to "default"). */
  const groupField = (g: string): Record<string, unknown> =>
    g === 'default' && !chance(30) ? {} : { group: g };

  const attempts: Attempt[] = [];
  const consumerScripts: { id: string; gated: boolean; events: Draft[] }[] = [];

  for (let m = 0; m < nMessages; m++) {
    const id = `m${m}`;
    const neverSent = !clean && chance(12);
    const producer = `producer-${int(0, nProducers - 1)}`;
    const dest = pick(DESTS);
    const key = pick(KEYS);
    const poison = !clean && chance(25);
    const partition = pick([0, 0, 1, 2]);
    const nAttempts = neverSent ? 0 : clean ? 1 : 1 + (chance(30) ? int(1, 2) : 0);
    for (let n = 0; n < nAttempts; n++) {
      const p = n > 0 && chance(15) ? `producer-${int(0, nProducers - 1)}` : producer;
      const roll = clean ? 0 : int(0, 19);
      const outcome = roll < 12 ? 'ok' : roll < 16 ? 'fail' : roll < 19 ? 'info' : 'open';
      const poisonHere = poison && (n === 0 && nAttempts > 1 ? !chance(25) : true);
      const invoke: Draft = { p, type: 'invoke', f: 'send', id, dest };
      if (key !== undefined) invoke.key = key;
      if (poisonHere) invoke.poison = true;
      let completion: Draft | undefined;
      if (outcome !== 'open') {
        completion = { p, type: outcome, f: 'send', id, dest };
        if (key !== undefined) completion.key = key;
        if (outcome === 'ok') Object.assign(completion, { partition, offset: attempts.length });
        else completion.error = outcome === 'fail' ? 'rejected' : 'timeout';
      }
      attempts.push({ id, p, invoke, completion, n });
    }

    // One consumer script per group (never-sent ids only turn up in some groups).
    for (const g of groups) {
      if (neverSent && !chance(60)) continue;
      const consumer = `consumer-${groups.indexOf(g)}`;
      const gf = () => groupField(g);
      const script: Draft[] = [];
      const roundsRoll = clean ? 1 : int(0, 19);
      const rounds = clean
        ? 1
        : poison
          ? roundsRoll % 5 // poison messages are redelivered more, so that DLQ timing varies
          : roundsRoll < 2
            ? 0
            : roundsRoll < 11
              ? 1
              : roundsRoll < 16
                ? 2
                : roundsRoll < 19
                  ? 3
                  : 4;
      // Some consumers acknowledge on receipt, before processing (at-most-once style): the ack ok
      // then precedes the only process, which is not a redelivery after an ack.
      const ackFirst = chance(30);
      const dlqOn = !clean && (poison ? chance(75) : chance(10));
      const dlqAfter = dlqOn ? (chance(50) ? int(0, rounds) : rounds) : -1;
      let applied = false;
      const dlq = () =>
        script.push({
          p: 'dlq-reader',
          type: 'ok',
          f: 'dlq',
          id,
          ...gf(),
          dest: `${dest}.dlq`,
          deliveryCount: rounds,
        });
      for (let r = 0; r < rounds; r++) {
        if (r === dlqAfter) dlq();
        const deliver: Draft = { p: consumer, type: 'ok', f: 'deliver', id, ...gf(), dest, offset: m };
        const partitionRoll = clean ? 0 : int(0, 9);
        if (partitionRoll < 7) deliver.partition = partition;
        else if (partitionRoll < 9) deliver.partition = (partition + 1) % 3;
        if (r > 0 && !chance(20)) deliver.redelivered = true;
        deliver.deliveryCount = r + 1;
        script.push(deliver);
        const outcomeRoll = clean ? 0 : int(0, 9);
        if (outcomeRoll < 6) {
          // processed, maybe with an effect, and acknowledged (or not) before or after processing
          const acknowledge = () => {
            if (chance(15)) return;
            const ackRoll = clean ? 0 : int(0, 19);
            script.push({ p: consumer, type: 'invoke', f: 'ack', id, ...gf() });
            const type = ackRoll < 14 ? 'ok' : ackRoll < 17 ? 'fail' : ackRoll < 19 ? 'info' : undefined;
            if (type !== undefined) {
              script.push({
                p: consumer,
                type,
                f: 'ack',
                id,
                ...gf(),
                ...(type === 'ok' ? {} : { error: 'x' }),
              });
            }
          };
          if (ackFirst) {
            acknowledge();
            if (!clean && chance(15)) {
              script.push({
                p: 'nemesis',
                type: 'info',
                f: 'crash',
                target: consumer,
                point: 'before-process',
              });
              continue;
            }
          }
          script.push({ p: consumer, type: 'ok', f: 'process', id, ...gf() });
          if (effectsOn && !chance(15)) {
            const appliedNow = !applied || chance(25);
            script.push({
              p: consumer,
              type: 'ok',
              f: 'effect',
              id,
              ...gf(),
              txn: `tx-${m}-${r}`,
              applied: appliedNow,
            });
            applied = true;
          }
          if (!ackFirst) acknowledge();
        } else if (outcomeRoll < 8) {
          script.push({
            p: consumer,
            type: 'ok',
            f: 'nack',
            id,
            ...gf(),
            requeue: chance(70),
            reason: poison ? 'poison' : 'transient',
          });
        } else {
          const crash: Draft = { p: 'nemesis', type: 'info', f: 'crash', target: consumer };
          if (chance(50)) crash.point = 'before-process';
          script.push(crash);
        }
      }
      // A planned crash that never fired (normally because the case ended first).
      if (chance(clean ? 2 : 6)) {
        const notFired: Draft = { p: 'nemesis', type: 'fail', f: 'crash', target: consumer };
        if (chance(70)) notFired.point = pick(['before-process', 'after-process', 'before-ack']);
        if (!chance(10)) notFired.reason = chance(85) ? 'cancelled' : 'consumer stopped first';
        script.push(notFired);
      }
      if (dlqAfter === rounds) dlq();
      if (dlqOn && chance(15)) dlq(); // read twice from the DLQ
      if (!clean && chance(5))
        script.push({ p: consumer, type: 'ok', f: 'effect', id, ...gf(), applied: true });
      consumerScripts.push({ id, gated: !neverSent, events: script });
    }
  }

  // Interleave: producers (up to 2 sends in flight each), consumer scripts (each starts after its
  // message's first send invoke), and some nemesis noise. The scheduler picks among enabled steps.
  const inFlightLimit = new Map<string, number>();
  for (let p = 0; p < nProducers; p++) inFlightLimit.set(`producer-${p}`, clean ? 1 : int(1, 2));
  const queues = new Map<string, Attempt[]>();
  for (const a of attempts) queues.set(a.p, [...(queues.get(a.p) ?? []), a]);
  const inFlight: Attempt[] = [];
  const completedAttempts = new Map<string, number>(); // id -> completed attempts
  const invoked = new Set<string>();
  const scriptPos = consumerScripts.map(() => 0);
  // Nemesis activity: each drawn fault is its own sequence of events, interleaved with the rest.
  // Sequences that share (p, fault, target) exercise the pairing of a completion with the earliest
  // open invoke.
  const noise: Draft[][] = [];
  const nFaults = clean ? (chance(30) ? 1 : 0) + (chance(5) ? 1 : 0) : chance(40) ? int(1, 3) : 0;
  for (let n = 0; n < nFaults; n++) {
    const fields = {
      p: chance(85) ? 'nemesis' : 'nemesis-1',
      f: 'fault' as const,
      fault: pick(['partition', 'partition', 'latency']),
      target: pick(['toxiproxy:q', 'toxiproxy:q', 'broker']),
    };
    const start = (type: Draft['type'], extra: Record<string, unknown> = {}): Draft => ({
      ...fields,
      type,
      action: 'start',
      ...extra,
    });
    const stop = (type: Draft['type']): Draft => ({ ...fields, type, action: 'stop' });
    // The first fault of a clean run always happens (so that `true` with faults is common).
    const roll = clean && n === 0 ? 0 : int(0, 11);
    if (roll < 4)
      noise.push([start('invoke'), start('ok'), stop('invoke'), stop(chance(85) ? 'ok' : 'fail')]);
    else if (roll < 6) noise.push([start('invoke'), start('fail', { error: 'not running' })]);
    else if (roll < 7) noise.push([start('invoke'), start('fail', { reason: 'proxy gone' })]);
    else if (roll < 8)
      noise.push([start('invoke')]); // never completed
    else if (roll < 9)
      noise.push([start('fail', { reason: 'cancelled' })]); // drawn, never started
    else if (roll < 10) noise.push([start('invoke'), start('fail', { reason: 'cancelled' })]);
    else if (roll < 11)
      noise.push([start('invoke'), start('invoke'), start('ok'), start('fail', { error: 'x' })]);
    else noise.push([start('invoke'), start('invoke'), start('ok')]); // one of two never completed
  }
  // Sometimes consumers only start once every send completed: deliveries then come in an order
  // unrelated to send order, which is what makes `reordered` likely.
  const consumersWait = !clean && chance(60);
  const drafts: Draft[] = [];

  for (;;) {
    const steps: (() => void)[] = [];
    for (const [p, queue] of queues) {
      const next = queue[0];
      if (next === undefined) continue;
      const busy = inFlight.filter((a) => a.p === p).length;
      if (busy >= inFlightLimit.get(p)! || (completedAttempts.get(next.id) ?? 0) < next.n) continue;
      steps.push(() => {
        queue.shift();
        invoked.add(next.id);
        drafts.push(next.invoke);
        if (next.completion !== undefined) inFlight.push(next);
        else completedAttempts.set(next.id, (completedAttempts.get(next.id) ?? 0) + 1);
      });
    }
    for (const a of inFlight) {
      steps.push(() => {
        inFlight.splice(inFlight.indexOf(a), 1);
        completedAttempts.set(a.id, (completedAttempts.get(a.id) ?? 0) + 1);
        drafts.push(a.completion!);
      });
    }
    consumerScripts.forEach((s, k) => {
      if (scriptPos[k]! >= s.events.length || (s.gated && !invoked.has(s.id))) return;
      if (consumersWait && (inFlight.length > 0 || [...queues.values()].some((q) => q.length > 0))) return;
      steps.push(() => {
        drafts.push(s.events[scriptPos[k]!]!);
        scriptPos[k]!++;
      });
    });
    for (const sequence of noise) {
      if (sequence.length > 0) steps.push(() => drafts.push(sequence.shift()!));
    }
    if (steps.length === 0) break;
    pick(steps)();
  }

  const events = drafts.map((d, i) => ({ ...d, i, t: 1000 + i * 250 }) as HistoryEvent);
  return { claim, declaredGroups, events };
}

const caseArbitrary: fc.Arbitrary<GeneratedCase> = fc.gen().map(buildCase);

describe('differential: production check() vs reference checker', () => {
  it('agrees on every count (per group and summed) and on validity', () => {
    fc.assert(
      fc.property(caseArbitrary, ({ events, claim, declaredGroups }) => {
        const expected = referenceCheck(events, claim, declaredGroups);
        const actual = check(
          events,
          declaredGroups === undefined ? { claim } : { claim, groups: declaredGroups },
        );
        const actualCounts: Record<string, number> = {};
        for (const name of REFERENCE_COUNT_NAMES) actualCounts[name] = actual.counts[name];
        expect(actualCounts).toEqual(expected.counts);
        const actualGroups: Record<string, Record<string, number>> = {};
        for (const [g, { counts }] of Object.entries(actual.groups)) {
          const picked: Record<string, number> = {};
          for (const name of REFERENCE_GROUP_COUNT_NAMES) picked[name] = counts[name];
          actualGroups[g] = picked;
        }
        expect(actualGroups).toEqual(expected.groups);
        expect(actual.faultIntegrity).toEqual(expected.faultIntegrity);
        expect(actual.reasons).toEqual(expected.reasons);
        expect(actual.valid).toBe(expected.valid);
      }),
      { numRuns: Number(process.env.DIFF_RUNS ?? 1000) },
    );
  });
});

/** Some group has two ids whose first deliveries come in one order and first processes in the other. */
function processOrderDiffers(events: HistoryEvent[]): boolean {
  const firsts = new Map<string, Map<string, { deliver?: number; process?: number }>>();
  for (const e of events) {
    if (e.f !== 'deliver' && e.f !== 'process') continue;
    const g = typeof e.group === 'string' ? e.group : 'default';
    const byId = firsts.get(g) ?? new Map();
    firsts.set(g, byId);
    const entry = byId.get(e.id) ?? {};
    byId.set(e.id, entry);
    if (e.f === 'deliver') entry.deliver ??= e.i;
    else entry.process ??= e.i;
  }
  for (const byId of firsts.values()) {
    const both = [...byId.values()].filter((x) => x.deliver !== undefined && x.process !== undefined);
    for (const a of both)
      for (const b of both) if (a.deliver! < b.deliver! && a.process! > b.process!) return true;
  }
  return false;
}

/** Some id is processed after an ack ok in its group while delivered only once there. */
function ackedBeforeOnlyProcess(events: HistoryEvent[]): boolean {
  return events.some(
    (ack) =>
      ack.f === 'ack' &&
      ack.type === 'ok' &&
      events.some((p) => p.f === 'process' && p.id === ack.id && p.group === ack.group && p.i > ack.i) &&
      events.filter((d) => d.f === 'deliver' && d.id === ack.id && d.group === ack.group).length === 1,
  );
}

describe('the history generator is not vacuous', () => {
  it('makes every anomaly kind, verdict and fault outcome occur in a good fraction of 500 histories', () => {
    const samples = fc.sample(caseArbitrary, { numRuns: 500, seed: 42 });
    const nonZero: Record<string, number> = {};
    for (const name of [...REFERENCE_ANOMALY_KINDS, 'extraProcessing']) nonZero[name] = 0;
    const faultOutcomes: Record<string, number> = {
      started: 0,
      failed: 0,
      cancelled: 0,
      neverCompleted: 0,
      crashesFired: 0,
      crashesCancelled: 0,
    };
    const verdicts = { true: 0, false: 0, unknown: 0 };
    let orderDiffers = 0;
    let ackFirst = 0;
    for (const { events, claim, declaredGroups } of samples) {
      const result = referenceCheck(events, claim, declaredGroups);
      for (const name of Object.keys(nonZero)) if (result.counts[name]! > 0) nonZero[name]!++;
      for (const name of Object.keys(faultOutcomes)) {
        if (result.faultIntegrity[name as keyof typeof result.faultIntegrity] > 0) faultOutcomes[name]!++;
      }
      verdicts[String(result.valid) as keyof typeof verdicts]++;
      if (processOrderDiffers(events)) orderDiffers++;
      if (ackedBeforeOnlyProcess(events)) ackFirst++;
    }
    for (const [name, runs] of Object.entries({ ...nonZero, ...faultOutcomes })) {
      expect({ name, fraction: runs / samples.length >= 0.05 }).toEqual({ name, fraction: true });
    }
    expect(verdicts.true / samples.length).toBeGreaterThanOrEqual(0.1);
    expect(verdicts.false / samples.length).toBeGreaterThanOrEqual(0.1);
    expect(verdicts.unknown / samples.length).toBeGreaterThanOrEqual(0.03);
    expect(orderDiffers / samples.length).toBeGreaterThanOrEqual(0.05);
    expect(ackFirst / samples.length).toBeGreaterThanOrEqual(0.05);
  });
});
