/**
 * Hand-computed examples for the trickiest rules of checker semantics v2 (docs/semantics.md). Each history
 * is checked by both the reference checker and the production checker against numbers worked out by
 * hand, so a disagreement points at which side is wrong.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../checker/check.ts';
import type { HistoryEvent } from '../../core/events.ts';
import type { Claim } from '../../core/guarantee.ts';
import { referenceCheck } from './reference-checker.ts';

type Fields = Record<string, unknown>;

/** Assigns `i` (file position) and a monotonic `t`. */
function history(...events: Fields[]): HistoryEvent[] {
  return events.map((e, i) => ({ ...e, i, t: 100 + i * 10 }) as HistoryEvent);
}

const sendInvoke = (p: string, id: string, extra: Fields = {}): Fields => ({
  p,
  type: 'invoke',
  f: 'send',
  id,
  dest: 'q',
  ...extra,
});
const sendDone = (p: string, id: string, type: 'ok' | 'fail' | 'info', extra: Fields = {}): Fields => ({
  p,
  type,
  f: 'send',
  id,
  dest: 'q',
  ...extra,
});
/** A send that succeeded at once: invoke then ok. */
const sent = (p: string, id: string, extra: Fields = {}): Fields[] => [
  sendInvoke(p, id, extra),
  sendDone(p, id, 'ok', extra),
];
const deliver = (id: string, extra: Fields = {}): Fields => ({
  p: 'consumer-0',
  type: 'ok',
  f: 'deliver',
  id,
  dest: 'q',
  ...extra,
});
const processed = (id: string, extra: Fields = {}): Fields => ({
  p: 'consumer-0',
  type: 'ok',
  f: 'process',
  id,
  ...extra,
});
const ack = (id: string, type: 'invoke' | 'ok' | 'fail' | 'info', extra: Fields = {}): Fields => ({
  p: 'consumer-0',
  type,
  f: 'ack',
  id,
  ...extra,
});
const dlq = (id: string, extra: Fields = {}): Fields => ({
  p: 'dlq-reader',
  type: 'ok',
  f: 'dlq',
  id,
  dest: 'q.dlq',
  ...extra,
});
const effect = (id: string, applied: boolean, extra: Fields = {}): Fields => ({
  p: 'consumer-0',
  type: 'ok',
  f: 'effect',
  id,
  txn: `tx-${id}`,
  applied,
  ...extra,
});
/** Delivered, processed and acknowledged in one go. */
const handled = (id: string, extra: Fields = {}): Fields[] => [
  deliver(id, extra),
  processed(id, extra.group === undefined ? {} : { group: extra.group }),
  ack(id, 'invoke', extra.group === undefined ? {} : { group: extra.group }),
  ack(id, 'ok', extra.group === undefined ? {} : { group: extra.group }),
];

const claim = (overrides: Partial<Claim> = {}): Claim => ({
  delivery: 'at-least-once',
  ordering: 'none',
  ...overrides,
});

interface Expectation {
  counts: Record<string, number>;
  valid: boolean | 'unknown';
  groups?: Record<string, Record<string, number>>;
  /** Compared in full when given. */
  faultIntegrity?: Record<string, number>;
  reasons?: string[];
}

/** Both checkers must give exactly the hand-computed numbers (only the names listed are compared). */
function expectBoth(
  events: HistoryEvent[],
  c: Claim,
  expected: Expectation,
  declaredGroups?: string[],
): void {
  const reference = referenceCheck(events, c, declaredGroups);
  const production = check(
    events,
    declaredGroups === undefined ? { claim: c } : { claim: c, groups: declaredGroups },
  );
  const pick = (counts: Record<string, number>, names: Record<string, number>) =>
    Object.fromEntries(Object.keys(names).map((n) => [n, counts[n]]));

  expect(pick(reference.counts, expected.counts), 'reference counts').toEqual(expected.counts);
  expect(reference.valid, 'reference valid').toBe(expected.valid);
  expect(pick(production.counts, expected.counts), 'production counts').toEqual(expected.counts);
  expect(production.valid, 'production valid').toBe(expected.valid);
  for (const [g, counts] of Object.entries(expected.groups ?? {})) {
    expect(pick(reference.groups[g] ?? {}, counts), `reference group ${g}`).toEqual(counts);
    expect(pick(production.groups[g]?.counts ?? {}, counts), `production group ${g}`).toEqual(counts);
  }
  if (expected.faultIntegrity) {
    expect(reference.faultIntegrity, 'reference faultIntegrity').toEqual(expected.faultIntegrity);
    expect(production.faultIntegrity, 'production faultIntegrity').toEqual(expected.faultIntegrity);
  }
  if (expected.reasons) {
    expect(reference.reasons, 'reference reasons').toEqual(expected.reasons);
    expect(production.reasons, 'production reasons').toEqual(expected.reasons);
  }
}

describe('reordered', () => {
  it('does not count messages from two different producers', () => {
    // a from producer-0 is acknowledged before b from producer-1 is invoked, b is delivered first:
    // no order was promised between two producers.
    const events = history(
      ...sent('producer-0', 'a'),
      ...sent('producer-1', 'b'),
      ...handled('b'),
      ...handled('a'),
    );
    expectBoth(events, claim({ ordering: 'total' }), { counts: { reordered: 0, lost: 0 }, valid: true });
  });

  it('counts the same history when one producer sent both', () => {
    const events = history(
      ...sent('producer-0', 'a'),
      ...sent('producer-0', 'b'),
      ...handled('b'),
      ...handled('a'),
    );
    expectBoth(events, claim({ ordering: 'total' }), { counts: { reordered: 1 }, valid: false });
    expectBoth(events, claim({ ordering: 'none' }), { counts: { reordered: 0 }, valid: true });
  });

  it("does not count when A's first send ok comes after B's first send invoke (pipelined sends)", () => {
    const events = history(
      sendInvoke('producer-0', 'a'),
      sendInvoke('producer-0', 'b'),
      sendDone('producer-0', 'a', 'ok'),
      sendDone('producer-0', 'b', 'ok'),
      ...handled('b'),
      ...handled('a'),
    );
    expectBoth(events, claim({ ordering: 'total' }), { counts: { reordered: 0 }, valid: true });
  });

  it('counts distinct B, once per group in which it overtook', () => {
    // c overtakes both a and b in group g1 (counted once); in g2 everything is in order.
    const events = history(
      ...sent('producer-0', 'a'),
      ...sent('producer-0', 'b'),
      ...sent('producer-0', 'c'),
      ...handled('c', { group: 'g1' }),
      ...handled('a', { group: 'g1' }),
      ...handled('b', { group: 'g1' }),
      ...handled('a', { group: 'g2' }),
      ...handled('b', { group: 'g2' }),
      ...handled('c', { group: 'g2' }),
    );
    expectBoth(events, claim({ ordering: 'total' }), {
      counts: { reordered: 1 },
      valid: false,
      groups: { g1: { reordered: 1 }, g2: { reordered: 0 } },
    });
  });

  it('per-key scope takes dest and key from the first send invoke', () => {
    // b's first invoke says key k2 (its retry says k1): a and b are in different per-key scopes.
    const events = history(
      ...sent('producer-0', 'a', { key: 'k1' }),
      sendInvoke('producer-0', 'b', { key: 'k2' }),
      sendDone('producer-0', 'b', 'info', { key: 'k2' }),
      ...sent('producer-0', 'b', { key: 'k1' }),
      ...handled('b'),
      ...handled('a'),
    );
    expectBoth(events, claim({ ordering: 'per-key' }), { counts: { reordered: 0 }, valid: true });
    expectBoth(events, claim({ ordering: 'total' }), { counts: { reordered: 1 }, valid: false });
  });

  it("per-partition scope uses the partition of each message's first delivery in the group", () => {
    // Both sends report partition 0, but b is first delivered from partition 1 and a from partition 0
    // (a's later redelivery from partition 1 does not move it): different scopes, nothing counted.
    const differentFirst = history(
      ...sent('producer-0', 'a', { partition: 0 }),
      ...sent('producer-0', 'b', { partition: 0 }),
      ...handled('b', { partition: 1 }),
      ...handled('a', { partition: 0 }),
      deliver('a', { partition: 1, redelivered: true }),
    );
    expectBoth(differentFirst, claim({ ordering: 'per-partition' }), {
      counts: { reordered: 0, redelivered: 1 },
      valid: true,
    });
    expectBoth(differentFirst, claim({ ordering: 'total' }), { counts: { reordered: 1 }, valid: false });

    // The sends report different partitions, but both are first delivered from partition 2: one scope.
    const sameFirst = history(
      ...sent('producer-0', 'a', { partition: 0 }),
      ...sent('producer-0', 'b', { partition: 1 }),
      ...handled('b', { partition: 2 }),
      ...handled('a', { partition: 2 }),
    );
    expectBoth(sameFirst, claim({ ordering: 'per-partition' }), { counts: { reordered: 1 }, valid: false });
  });
});

describe('dlqEarly / dlqLate', () => {
  // Poison messages, max attempts 2; deliveries are counted in the group, before the first dlq event.
  const events = history(
    ...sent('producer-0', 'zero', { poison: true }),
    ...sent('producer-0', 'one', { poison: true }),
    ...sent('producer-0', 'two', { poison: true }),
    ...sent('producer-0', 'three', { poison: true }),
    ...sent('producer-0', 'twoThenMore', { poison: true }),
    ...sent('producer-0', 'otherGroup', { poison: true }),
    // zero: dead-lettered with no delivery at all -> early
    dlq('zero'),
    // one: 1 delivery -> early
    deliver('one'),
    dlq('one'),
    // two: exactly N -> neither
    deliver('two'),
    deliver('two', { redelivered: true }),
    dlq('two'),
    // three: 3 deliveries -> late
    deliver('three'),
    deliver('three', { redelivered: true }),
    deliver('three', { redelivered: true }),
    dlq('three'),
    // twoThenMore: 2 before its first dlq, 2 after (and a second dlq event) -> neither
    deliver('twoThenMore'),
    deliver('twoThenMore', { redelivered: true }),
    dlq('twoThenMore'),
    deliver('twoThenMore', { redelivered: true }),
    deliver('twoThenMore', { redelivered: true }),
    dlq('twoThenMore'),
    // otherGroup: 3 deliveries in g1 do not count for default, where 1 delivery precedes the dlq -> early
    deliver('otherGroup', { group: 'g1' }),
    deliver('otherGroup', { group: 'g1' }),
    deliver('otherGroup', { group: 'g1' }),
    dlq('otherGroup', { group: 'g1' }),
    deliver('otherGroup'),
    dlq('otherGroup'),
  );

  it('counts fewer than N as early, more than N as late, exactly N as neither', () => {
    expectBoth(events, claim({ maxAttempts: 2 }), {
      counts: { dlqEarly: 3, dlqLate: 2, dlqMissing: 5, dlqUnexpected: 0 },
      valid: false,
      groups: {
        default: { dlqEarly: 3, dlqLate: 1, dlqMissing: 0 },
        // g1 saw only otherGroup (3 deliveries: late); the five others never reached g1's DLQ
        g1: { dlqEarly: 0, dlqLate: 1, dlqMissing: 5 },
      },
    });
  });

  it('moves with N: with N = 1 only zero is early, with N = 3 only three is not early', () => {
    expectBoth(events, claim({ maxAttempts: 1 }), {
      counts: { dlqEarly: 1, dlqLate: 3 + 1 },
      valid: false,
      groups: { default: { dlqEarly: 1, dlqLate: 3 }, g1: { dlqEarly: 0, dlqLate: 1 } },
    });
    expectBoth(events, claim({ maxAttempts: 3 }), {
      counts: { dlqEarly: 5, dlqLate: 0 },
      valid: false,
      groups: { default: { dlqEarly: 5, dlqLate: 0 }, g1: { dlqEarly: 0, dlqLate: 0 } },
    });
  });

  it('are not computed, and DLQ anomalies not judged, without max attempts', () => {
    expectBoth(events, claim(), {
      counts: { dlqEarly: 0, dlqLate: 0, dlqMissing: 5, lost: 5 },
      valid: false,
    });
    // The same DLQ routing without a DLQ policy or a loss claim is not a violation.
    expectBoth(events, claim({ delivery: 'at-most-once' }), {
      counts: { dlqEarly: 0, dlqLate: 0 },
      valid: true,
    });
  });
});

describe('effect anomalies', () => {
  const plain = [...sent('producer-0', 'a'), ...sent('producer-0', 'b'), ...handled('a'), ...handled('b')];

  it('are not computed when the history has no effect event', () => {
    expectBoth(history(...plain), claim({ delivery: 'effectively-once' }), {
      counts: { effectMissing: 0, effectDuplicated: 0, processed: 2 },
      valid: true,
    });
  });

  it('are computed for every message as soon as one effect event exists, even applied: false', () => {
    expectBoth(history(...plain, effect('a', false)), claim({ delivery: 'effectively-once' }), {
      counts: { effectMissing: 2, effectDuplicated: 0 },
      valid: false,
    });
    expectBoth(
      history(...plain, effect('a', true), effect('a', true), effect('b', true)),
      claim({ delivery: 'effectively-once' }),
      { counts: { effectMissing: 0, effectDuplicated: 1 }, valid: false },
    );
    // at-least-once does not judge effects
    expectBoth(history(...plain, effect('a', true), effect('a', true)), claim(), {
      counts: { effectMissing: 1, effectDuplicated: 1 },
      valid: true,
    });
  });
});

describe('phantom, recovered, failed, indeterminate with mixed send outcomes', () => {
  const events = history(
    // a: fail, fail -> failed; delivered -> phantom
    sendInvoke('producer-0', 'a'),
    sendDone('producer-0', 'a', 'fail'),
    sendInvoke('producer-0', 'a'),
    sendDone('producer-0', 'a', 'fail'),
    // b: fail, info -> indeterminate (not failed); delivered -> recovered
    sendInvoke('producer-0', 'b'),
    sendDone('producer-0', 'b', 'fail'),
    sendInvoke('producer-0', 'b'),
    sendDone('producer-0', 'b', 'info'),
    // c: info, ok -> acknowledged only
    sendInvoke('producer-0', 'c'),
    sendDone('producer-0', 'c', 'info'),
    ...sent('producer-0', 'c'),
    // d: fail, ok -> acknowledged only
    sendInvoke('producer-0', 'd'),
    sendDone('producer-0', 'd', 'fail'),
    ...sent('producer-0', 'd'),
    // e: info, never seen by a consumer -> indeterminate, not lost
    sendInvoke('producer-0', 'e'),
    sendDone('producer-0', 'e', 'info'),
    // f: fail, never seen -> failed, not phantom
    sendInvoke('producer-0', 'f'),
    sendDone('producer-0', 'f', 'fail'),
    // g: info; processed without a recorded delivery -> recovered
    sendInvoke('producer-0', 'g'),
    sendDone('producer-0', 'g', 'info'),
    // h: invoke with no outcome at all -> attempted only
    sendInvoke('producer-0', 'h'),
    ...handled('a'),
    ...handled('b'),
    ...handled('c'),
    ...handled('d'),
    processed('g'),
    ...handled('h'),
  );

  it('classifies each message by its send outcomes', () => {
    expectBoth(events, claim(), {
      counts: {
        attempted: 8,
        acknowledged: 2,
        failed: 2,
        indeterminate: 3,
        phantom: 1,
        recovered: 2,
        lost: 0,
        unexpected: 0,
        delivered: 5,
        processed: 6,
      },
      valid: false,
    });
  });

  it('only phantom makes the history invalid; recovered is informational', () => {
    const withoutPhantom = events.filter((e) => !(e.id === 'a' && e.f !== 'send'));
    expectBoth(history(...withoutPhantom), claim(), {
      counts: { phantom: 0, recovered: 2 },
      valid: true,
    });
  });
});

describe('duplicatedAfterAck (v2: a delivery after an ack ok)', () => {
  it('needs a deliver after an ack ok of the same id in the same group', () => {
    const events = history(
      ...sent('producer-0', 'afterInvoke'),
      ...sent('producer-0', 'afterFail'),
      ...sent('producer-0', 'afterOk'),
      ...sent('producer-0', 'otherGroup'),
      ...sent('producer-0', 'ackFirst'),
      ...sent('producer-0', 'notProcessedAgain'),
      // redelivered between ack invoke and ack ok: the delivery is not after the ok
      deliver('afterInvoke'),
      ack('afterInvoke', 'invoke'),
      deliver('afterInvoke', { redelivered: true }),
      processed('afterInvoke'),
      ack('afterInvoke', 'ok'),
      // the ack failed, then it was redelivered and processed again: a duplicate, not after an ack
      ...handled('afterFail').slice(0, 3),
      ack('afterFail', 'fail'),
      deliver('afterFail', { redelivered: true }),
      processed('afterFail'),
      // acked, redelivered, processed again
      ...handled('afterOk'),
      deliver('afterOk', { redelivered: true }),
      processed('afterOk'),
      // acked in g1, delivered and processed (once) in default afterwards
      ...handled('otherGroup', { group: 'g1' }),
      deliver('otherGroup'),
      processed('otherGroup'),
      // acknowledged on receipt, then processed once: the only delivery precedes the ack
      deliver('ackFirst'),
      ack('ackFirst', 'invoke'),
      ack('ackFirst', 'ok'),
      processed('ackFirst'),
      // acked, then handed out again but never processed again: still after the ack
      ...handled('notProcessedAgain'),
      deliver('notProcessedAgain', { redelivered: true }),
    );
    expectBoth(events, claim({ delivery: 'exactly-once' }), {
      counts: { duplicatedAfterAck: 2, duplicated: 2, extraProcessing: 2, redelivered: 4 },
      valid: false,
      groups: { default: { duplicatedAfterAck: 2, lost: 0 }, g1: { duplicatedAfterAck: 0, lost: 5 } },
    });
  });

  it('is 0 for ack-before-process with a single delivery, 1 once the broker redelivers after the ack ok', () => {
    const once = [
      ...sent('producer-0', 'a'),
      deliver('a'),
      ack('a', 'invoke'),
      ack('a', 'ok'),
      processed('a'),
    ];
    expectBoth(history(...once), claim({ delivery: 'at-most-once' }), {
      counts: { duplicatedAfterAck: 0, duplicated: 0, redelivered: 0 },
      valid: true,
    });
    expectBoth(history(...once, deliver('a', { redelivered: true })), claim({ delivery: 'at-most-once' }), {
      counts: { duplicatedAfterAck: 1, duplicated: 0, redelivered: 1 },
      valid: true, // reported; no guarantee forbids it on its own
    });
    expectBoth(
      history(...once, deliver('a', { redelivered: true }), processed('a')),
      claim({ delivery: 'at-most-once' }),
      { counts: { duplicatedAfterAck: 1, duplicated: 1 }, valid: false },
    );
  });
});

describe('reordered (v2: judged on processing)', () => {
  it('counts a crash and a redelivery that reorder processing but not first delivery', () => {
    // a is delivered first, the consumer crashes before processing it, b overtakes it, a is redelivered.
    const events = history(
      ...sent('producer-0', 'a'),
      ...sent('producer-0', 'b'),
      deliver('a'),
      { p: 'nemesis', type: 'info', f: 'crash', target: 'consumer-0', point: 'before-process' },
      ...handled('b'),
      deliver('a', { redelivered: true }),
      processed('a'),
      ack('a', 'invoke'),
      ack('a', 'ok'),
    );
    expectBoth(events, claim({ ordering: 'total' }), {
      counts: { reordered: 1, redelivered: 1, lost: 0 },
      valid: false,
      faultIntegrity: {
        started: 0,
        failed: 0,
        cancelled: 0,
        neverCompleted: 0,
        crashesFired: 1,
        crashesCancelled: 0,
      },
    });
  });

  it('does not count deliveries out of order that were processed in order', () => {
    const events = history(
      ...sent('producer-0', 'a'),
      ...sent('producer-0', 'b'),
      deliver('b'),
      deliver('a'),
      processed('a'),
      processed('b'),
    );
    expectBoth(events, claim({ ordering: 'total' }), { counts: { reordered: 0 }, valid: true });
  });

  it('ignores a message that was never processed in the group', () => {
    // b is processed before a is even delivered, but a is never processed: only lost, not reordered.
    const events = history(
      ...sent('producer-0', 'a'),
      ...sent('producer-0', 'b'),
      ...handled('b'),
      deliver('a'),
    );
    expectBoth(events, claim({ ordering: 'total' }), { counts: { reordered: 0, lost: 1 }, valid: false });
    expectBoth(events, claim({ ordering: 'total', delivery: 'at-most-once' }), {
      counts: { reordered: 0 },
      valid: true,
    });
  });

  it('per-partition scope still takes the partition of the first delivery, not of the processed one', () => {
    // a: first delivered from partition 1 (crash), processed after a redelivery from partition 0.
    // b: delivered and processed from partition 0 before a was processed. Scopes: a→1, b→0.
    const events = history(
      ...sent('producer-0', 'a'),
      ...sent('producer-0', 'b'),
      deliver('a', { partition: 1 }),
      ...handled('b', { partition: 0 }),
      deliver('a', { partition: 0, redelivered: true }),
      processed('a'),
    );
    expectBoth(events, claim({ ordering: 'per-partition' }), { counts: { reordered: 0 }, valid: true });
    expectBoth(events, claim({ ordering: 'total' }), { counts: { reordered: 1 }, valid: false });
  });
});

describe('faults must have happened', () => {
  const fault = (type: string, extra: Fields = {}): Fields => ({
    p: 'nemesis',
    type,
    f: 'fault',
    fault: 'partition',
    action: 'start',
    target: 'toxiproxy:nats',
    params: {},
    ...extra,
  });
  const good = [...sent('producer-0', 'a'), ...handled('a')];
  const none = {
    started: 0,
    failed: 0,
    cancelled: 0,
    neverCompleted: 0,
    crashesFired: 0,
    crashesCancelled: 0,
  };

  it('a fault that started (and a failed stop) leaves a passing verdict alone', () => {
    const events = history(
      fault('invoke'),
      fault('ok'),
      ...good,
      fault('invoke', { action: 'stop' }),
      fault('fail', { action: 'stop', error: 'proxy gone' }),
      { p: 'nemesis', type: 'info', f: 'crash', target: 'consumer-0' },
    );
    expectBoth(events, claim(), {
      counts: { lost: 0 },
      valid: true,
      faultIntegrity: { ...none, started: 1, crashesFired: 1 },
      reasons: [],
    });
  });

  it('a cancelled planned crash turns true into "unknown" with the reason', () => {
    const events = history(...good, {
      p: 'nemesis',
      type: 'fail',
      f: 'crash',
      target: 'consumer-1',
      point: 'before-process',
      reason: 'cancelled',
    });
    expectBoth(events, claim(), {
      counts: { lost: 0 },
      valid: 'unknown',
      faultIntegrity: { ...none, crashesCancelled: 1 },
      reasons: ['planned crash of consumer-1 at before-process never fired (cancelled)'],
    });
  });

  it('a violated claim with a cancelled fault stays false (a definite and an absence violation alike)', () => {
    const cancelled = fault('fail', { reason: 'cancelled' });
    const duplicated = history(cancelled, ...good, ...handled('a'));
    expectBoth(duplicated, claim({ delivery: 'exactly-once' }), {
      counts: { duplicated: 1 },
      valid: false,
      faultIntegrity: { ...none, cancelled: 1 },
      reasons: ['fault partition on toxiproxy:nats was drawn but never started (cancelled)'],
    });
    const lost = history(cancelled, ...sent('producer-0', 'a'));
    expectBoth(lost, claim(), {
      counts: { lost: 1 },
      valid: false,
      faultIntegrity: { ...none, cancelled: 1 },
    });
  });

  it('a start that failed, or was never completed, makes a pass "unknown"', () => {
    expectBoth(
      history(
        fault('invoke', { fault: 'broker-kill', target: 'rabbitmq' }),
        fault('fail', { fault: 'broker-kill', target: 'rabbitmq', error: 'not running' }),
        ...good,
      ),
      claim(),
      {
        counts: {},
        valid: 'unknown',
        faultIntegrity: { ...none, failed: 1 },
        reasons: ['fault broker-kill on rabbitmq failed to start: not running'],
      },
    );
    expectBoth(history(fault('invoke'), ...good), claim(), {
      counts: {},
      valid: 'unknown',
      faultIntegrity: { ...none, neverCompleted: 1 },
      reasons: ['fault partition on toxiproxy:nats was invoked but its start never completed'],
    });
  });

  it('pairs a completion with the earliest open invoke of the same (p, fault, target, action)', () => {
    // Two overlapping starts of one fault: ok closes the first, fail the second. A start invoked by
    // another process is not closed by nemesis's completion, and a stop never closes a start.
    const events = history(
      fault('invoke'), // 0
      fault('invoke'), // 1
      fault('invoke', { p: 'nemesis-1' }), // 2
      fault('ok'), // 3 closes 0
      fault('invoke', { action: 'stop' }), // 4
      fault('ok', { action: 'stop' }), // 5
      fault('fail', { error: 'x' }), // 6 closes 1
      fault('fail', { reason: 'cancelled' }), // 7 no open invoke of its key: cancelled without invoke
      ...good,
    );
    expectBoth(events, claim(), {
      counts: {},
      valid: 'unknown',
      faultIntegrity: { ...none, started: 1, failed: 1, cancelled: 1, neverCompleted: 1 },
      reasons: [
        'fault partition on toxiproxy:nats was invoked but its start never completed',
        'fault partition on toxiproxy:nats failed to start: x',
        'fault partition on toxiproxy:nats was drawn but never started (cancelled)',
      ],
    });
  });
});
