import { describe, expect, it } from 'vitest';
import { check } from '../../checker/check.ts';
import type { Claim } from '../../core/guarantee.ts';
import { history } from '../helpers/history-builder.ts';

const atLeastOnce: Claim = { delivery: 'at-least-once', ordering: 'none' };
const run = (h: ReturnType<typeof history>, claim: Claim = atLeastOnce, groups?: string[]) =>
  check(h.events, { claim, ...(groups && { groups }) });

describe('lost', () => {
  it('an acknowledged message never processed nor dead-lettered is lost', () => {
    const h = history().sent('a').sent('b').consumed('a').deliver('b');
    const r = run(h);
    expect(r.counts.lost).toBe(1);
    expect(r.anomalies.find((a) => a.kind === 'lost')).toMatchObject({ id: 'b', group: 'default' });
    expect(r.valid).toBe(false);
    expect(r.violations).toEqual(['lost']);
  });
  it('a message processed, or dead-lettered, or whose send failed or is unknown, is not lost', () => {
    const h = history()
      .sent('a')
      .consumed('a')
      .sent('p', { poison: true })
      .dlq('p')
      .invoke('f')
      .fail('f')
      .invoke('u')
      .info('u');
    const r = run(h);
    expect(r.counts.lost).toBe(0);
    expect(r.valid).toBe(true);
  });
  it('is judged per group: a declared group that saw nothing loses everything', () => {
    const h = history().sent('a').consumed('a', { group: 'g1' });
    const r = run(h, atLeastOnce, ['g1', 'g2']);
    expect(r.groups.g1!.counts.lost).toBe(0);
    expect(r.groups.g2!.counts.lost).toBe(1);
    expect(r.counts.lost).toBe(1);
  });
  it('a delivered but unprocessed message (consumer crashed) is lost', () => {
    const h = history()
      .sent('a')
      .deliver('a')
      .add({ p: 'nemesis', type: 'info', f: 'crash', target: 'consumer-0' });
    expect(run(h).counts.lost).toBe(1);
  });
});

describe('unexpected and phantom', () => {
  it('a message received but never sent is unexpected', () => {
    const r = run(history().deliver('ghost').process('ghost'));
    expect(r.counts.unexpected).toBe(1);
    expect(r.valid).toBe(false);
  });
  it('a message sent and received is not unexpected', () => {
    expect(run(history().sent('a').consumed('a')).counts.unexpected).toBe(0);
  });
  it('a message whose every send failed definitely, yet was delivered, is a phantom', () => {
    const r = run(history().invoke('a').fail('a').deliver('a').process('a'));
    expect(r.counts.phantom).toBe(1);
    expect(r.counts.failed).toBe(1);
    expect(r.valid).toBe(false);
  });
  it('a failed send retried with success is not a phantom, and an unknown outcome is recovered instead', () => {
    const r = run(
      history().invoke('a').fail('a').invoke('a').ok('a').consumed('a').invoke('b').info('b').consumed('b'),
    );
    expect(r.counts.phantom).toBe(0);
    expect(r.counts.recovered).toBe(1);
    expect(r.counts.indeterminate).toBe(1);
    expect(r.valid).toBe(true);
  });
  it('a failed message that never shows up is neither phantom nor lost', () => {
    const r = run(history().invoke('a').fail('a'));
    expect(r.counts.phantom + r.counts.lost).toBe(0);
  });
});

describe('duplicated', () => {
  const exactlyOnce: Claim = { delivery: 'exactly-once', ordering: 'none' };
  it('a message processed twice in one group is duplicated; extraProcessing counts the extra runs', () => {
    const h = history().sent('a').consumed('a').consumed('a').consumed('a').sent('b').consumed('b');
    const r = run(h, exactlyOnce);
    expect(r.counts.duplicated).toBe(1);
    expect(r.counts.extraProcessing).toBe(2);
    expect(r.counts.redelivered).toBe(1);
    expect(r.valid).toBe(false);
    // at-least-once allows it
    expect(run(h).valid).toBe(true);
  });
  it('processing once in each of two groups is not a duplicate; delivered twice but processed once is only redelivered', () => {
    const h = history()
      .sent('a')
      .consumed('a', { group: 'g1' })
      .consumed('a', { group: 'g2' })
      .sent('b')
      .deliver('b', { group: 'g1' })
      .consumed('b', { group: 'g1' })
      .consumed('b', { group: 'g2' });
    const r = run(h, exactlyOnce);
    expect(r.counts.duplicated).toBe(0);
    expect(r.counts.redelivered).toBe(1);
    expect(r.valid).toBe(true);
  });
});

describe('duplicatedAfterAck', () => {
  it('a delivery in the group after a successful ack of the same message there', () => {
    const h = history().sent('a').consumed('a').deliver('a').process('a');
    const r = run(h);
    expect(r.counts.duplicatedAfterAck).toBe(1);
    const example = r.anomalies.find((a) => a.kind === 'duplicatedAfterAck')!;
    // evidence: the first ack ok, then the later delivery
    expect(example.events.map((i) => [h.events[i]!.f, h.events[i]!.type])).toEqual([
      ['ack', 'ok'],
      ['deliver', 'ok'],
    ]);
    expect(example.events).toEqual([5, 6]);
    expect(example.detail).toMatch(/delivered again to group default after its acknowledgement/);
  });
  it('not for ack-before-process with a single delivery (at-most-once consumers)', () => {
    const h = history().sent('a').deliver('a').ack('a').process('a');
    const r = run(h, { delivery: 'at-most-once', ordering: 'none' });
    expect(r.counts.duplicatedAfterAck).toBe(0);
    expect(r.valid).toBe(true);
  });
  it('not when the ack failed, or the later delivery is in another group', () => {
    const h = history()
      .sent('a')
      .deliver('a')
      .process('a')
      .ack('a', { outcome: 'fail' })
      .deliver('a')
      .process('a')
      .sent('b')
      .consumed('b', { group: 'g1' })
      .consumed('b', { group: 'g2' });
    expect(run(h).counts.duplicatedAfterAck).toBe(0);
  });
});

describe('reordered', () => {
  const perKey: Claim = { delivery: 'at-least-once', ordering: 'per-key' };
  it('a later message of the same key and producer delivered first is reordered', () => {
    const h = history().sent('a', { key: 'k' }).sent('b', { key: 'k' }).consumed('b').consumed('a');
    const r = run(h, perKey);
    expect(r.counts.reordered).toBe(1);
    expect(r.anomalies.find((a) => a.kind === 'reordered')?.id).toBe('b');
    expect(r.valid).toBe(false);
  });
  it('is not computed without an ordering claim', () => {
    const h = history().sent('a', { key: 'k' }).sent('b', { key: 'k' }).consumed('b').consumed('a');
    expect(run(h).counts.reordered).toBe(0);
  });
  it('different keys, different producers, or overlapping sends impose no order', () => {
    const h = history()
      .sent('a', { key: 'k1' })
      .sent('b', { key: 'k2' })
      .sent('c', { key: 'k', p: 'producer-0' })
      .sent('d', { key: 'k', p: 'producer-1' })
      .invoke('e', { key: 'j' })
      .invoke('f', { key: 'j' })
      .ok('e')
      .ok('f')
      .consumed('b')
      .consumed('a')
      .consumed('d')
      .consumed('c')
      .consumed('f')
      .consumed('e');
    expect(run(h, perKey).counts.reordered).toBe(0);
  });
  it('per-partition scope uses the partition of the first delivery; total ignores keys', () => {
    const h = history()
      .sent('a', { key: 'k1' })
      .sent('b', { key: 'k2' })
      .deliver('b', { partition: 0 })
      .process('b')
      .deliver('a', { partition: 0 })
      .process('a');
    expect(run(h, { ...perKey, ordering: 'per-partition' }).counts.reordered).toBe(1);
    expect(run(h, { ...perKey, ordering: 'total' }).counts.reordered).toBe(1);
    expect(run(h, perKey).counts.reordered).toBe(0);
    const split = history().sent('a').sent('b').deliver('b', { partition: 1 }).deliver('a', { partition: 0 });
    expect(run(split, { ...perKey, ordering: 'per-partition' }).counts.reordered).toBe(0);
  });
});

describe('reordered is judged on processing', () => {
  const total: Claim = { delivery: 'at-least-once', ordering: 'total' };
  it('a crash before processing and a redelivery let a later message be processed first', () => {
    const h = history()
      .sent('a')
      .sent('b')
      .deliver('a')
      .add({ p: 'nemesis', type: 'info', f: 'crash', target: 'consumer-0', point: 'before-process' })
      .consumed('b')
      .consumed('a');
    const r = run(h, total);
    expect(r.counts.reordered).toBe(1);
    const example = r.anomalies.find((a) => a.kind === 'reordered')!;
    expect(example.id).toBe('b');
    expect(example.detail).toMatch(/first processed in group default before a/);
    // a's send ok, b's send invoke, b's first process, a's first process
    expect(example.events.map((i) => h.events[i]!.f)).toEqual(['send', 'send', 'process', 'process']);
  });
  it('deliveries out of order but processed in order are not reordered', () => {
    const h = history().sent('a').sent('b').deliver('b').deliver('a').process('a').process('b');
    expect(run(h, total).counts.reordered).toBe(0);
  });
});

describe('fault integrity', () => {
  const crashFail = (reason = 'cancelled') =>
    ({
      p: 'nemesis',
      type: 'fail',
      f: 'crash',
      target: 'consumer-1',
      point: 'before-process',
      reason,
    }) as const;
  it('a planned crash that never fired makes a pass "unknown", with the reason', () => {
    const r = run(history().sent('a').consumed('a').add(crashFail()));
    expect(r.valid).toBe('unknown');
    expect(r.reasons).toEqual(['planned crash of consumer-1 at before-process never fired (cancelled)']);
    expect(r.faultIntegrity).toMatchObject({ crashesCancelled: 1, crashesFired: 0 });
  });
  it('a definite violation stays false', () => {
    const r = run(history().sent('a').add(crashFail()));
    expect(r.valid).toBe(false);
    expect(r.violations).toEqual(['lost']);
    expect(r.reasons).toHaveLength(1);
  });
  it('a fault start that failed names the fault, target and error', () => {
    const fields = {
      p: 'nemesis',
      f: 'fault',
      fault: 'broker-kill',
      action: 'start',
      target: 'rabbitmq',
    } as const;
    const h = history()
      .add({ ...fields, type: 'invoke' })
      .add({ ...fields, type: 'fail', error: 'not running' })
      .sent('a')
      .consumed('a');
    const r = run(h);
    expect(r.valid).toBe('unknown');
    expect(r.reasons).toEqual(['fault broker-kill on rabbitmq failed to start: not running']);
    expect(r.faultIntegrity).toEqual({
      started: 0,
      failed: 1,
      cancelled: 0,
      neverCompleted: 0,
      crashesFired: 0,
      crashesCancelled: 0,
    });
  });
  it('lists at most 20 problems, then how many more', () => {
    const h = history().sent('a').consumed('a');
    for (let n = 0; n < 25; n++) h.add(crashFail());
    const r = run(h);
    expect(r.faultIntegrity.crashesCancelled).toBe(25);
    expect(r.reasons).toHaveLength(21);
    expect(r.reasons.at(-1)).toBe('… and 5 more faults or crashes that did not happen');
  });
  it('an incomplete history lists its own reason first', () => {
    const h = history().phase('load').sent('a').consumed('a').add(crashFail());
    const r = run(h);
    expect(r.valid).toBe('unknown');
    expect(r.reasons[0]).toMatch(/before its check phase/);
    expect(r.reasons[1]).toMatch(/planned crash of consumer-1/);
  });
});

describe('dead-letter anomalies', () => {
  const dlq3: Claim = { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 };
  it('dlqMissing: an acknowledged poison message never dead-lettered', () => {
    const h = history().sent('p', { poison: true }).deliver('p').nack('p');
    const r = run(h, dlq3);
    expect(r.counts.dlqMissing).toBe(1);
    expect(r.valid).toBe(false);
    expect(
      run(history().sent('p', { poison: true }).deliver('p').deliver('p').deliver('p').dlq('p'), dlq3).counts
        .dlqMissing,
    ).toBe(0);
  });
  it('dlqUnexpected: a healthy message dead-lettered', () => {
    expect(run(history().sent('a').dlq('a'), dlq3).counts.dlqUnexpected).toBe(1);
    expect(run(history().sent('a').consumed('a'), dlq3).counts.dlqUnexpected).toBe(0);
  });
  it('dlqEarly / dlqLate count deliveries before the first dlq event against N', () => {
    const early = history().sent('p', { poison: true }).deliver('p').deliver('p').dlq('p').deliver('p');
    const exact = history().sent('p', { poison: true }).deliver('p').deliver('p').deliver('p').dlq('p');
    const late = history()
      .sent('p', { poison: true })
      .deliver('p')
      .deliver('p')
      .deliver('p')
      .deliver('p')
      .dlq('p');
    expect(run(early, dlq3).counts).toMatchObject({ dlqEarly: 1, dlqLate: 0 });
    expect(run(exact, dlq3).counts).toMatchObject({ dlqEarly: 0, dlqLate: 0 });
    expect(run(late, dlq3).counts).toMatchObject({ dlqEarly: 0, dlqLate: 1 });
    expect(run(late, dlq3).valid).toBe(false);
    expect(run(late).counts.dlqLate).toBe(0); // no policy, not computed
    expect(run(late).valid).toBe(true);
  });
});

describe('effect anomalies', () => {
  const effectively: Claim = { delivery: 'effectively-once', ordering: 'none' };
  it('effectDuplicated: the side effect applied twice', () => {
    const h = history()
      .sent('a')
      .deliver('a')
      .effect('a', true)
      .process('a')
      .deliver('a')
      .effect('a', true)
      .process('a')
      .ack('a');
    const r = run(h, effectively);
    expect(r.counts.effectDuplicated).toBe(1);
    expect(r.valid).toBe(false);
  });
  it('a redelivery deduplicated by the store is fine (effectively-once allows delivery duplicates)', () => {
    const h = history()
      .sent('a')
      .deliver('a')
      .effect('a', true)
      .process('a')
      .deliver('a')
      .effect('a', false)
      .process('a')
      .ack('a');
    const r = run(h, effectively);
    expect(r.counts.effectDuplicated + r.counts.effectMissing).toBe(0);
    expect(r.counts.duplicated).toBe(1);
    expect(r.valid).toBe(true);
  });
  it('effectMissing: processed but never applied; not computed when the history has no effect events', () => {
    const h = history().sent('a').deliver('a').effect('a', false).process('a').ack('a');
    expect(run(h, effectively).counts.effectMissing).toBe(1);
    expect(run(history().sent('a').consumed('a'), effectively).counts.effectMissing).toBe(0);
  });
});

describe('validity', () => {
  it('each guarantee forbids exactly its anomalies', () => {
    const lossy = history().sent('a');
    const dup = history().sent('a').consumed('a').consumed('a');
    const verdict = (h: ReturnType<typeof history>, delivery: Claim['delivery']) =>
      run(h, { delivery, ordering: 'none' }).valid;
    expect(
      ['at-most-once', 'at-least-once', 'exactly-once', 'effectively-once'].map((g) =>
        verdict(lossy, g as never),
      ),
    ).toEqual([true, false, false, false]);
    expect(
      ['at-most-once', 'at-least-once', 'exactly-once', 'effectively-once'].map((g) =>
        verdict(dup, g as never),
      ),
    ).toEqual([false, true, false, true]);
  });
  it('is unknown when the case stopped before its check phase, or the drain was cut off — unless definitely violated', () => {
    const stopped = history().phase('setup').phase('load').sent('a');
    expect(run(stopped).valid).toBe('unknown');
    expect(run(stopped).reasons[0]).toMatch(/before its check phase/);
    const cutOff = history()
      .phase('load')
      .sent('a')
      .phase('drain')
      .phase('drain', { cutOff: true })
      .phase('check');
    expect(run(cutOff).valid).toBe('unknown');
    const complete = history().phase('load').sent('a').consumed('a').phase('drain').phase('check');
    expect(run(complete).valid).toBe(true);
    const phantomStopped = history().phase('load').invoke('a').fail('a').deliver('a');
    expect(run(phantomStopped).valid).toBe(false);
  });
  it('counts: the four send counts are distinct ids, the rest summed over groups; examples capped, counts exact', () => {
    const h = history();
    for (let n = 0; n < 30; n++) h.sent(`m${n}`);
    for (let n = 0; n < 30; n++) h.consumed(`m${n}`, { group: 'g1' });
    const r = check(h.events, { claim: atLeastOnce, groups: ['g1', 'g2'], examplesPerKind: 5 });
    expect(r.counts).toMatchObject({
      attempted: 30,
      acknowledged: 30,
      processed: 30,
      delivered: 30,
      lost: 30,
    });
    expect(r.groups.g1!.counts.attempted).toBe(30);
    expect(r.anomalies.filter((a) => a.kind === 'lost')).toHaveLength(5);
  });
  it('anomaly examples point at the events that prove them', () => {
    const h = history().sent('a').sent('b').consumed('b').consumed('b');
    const r = run(h, { delivery: 'exactly-once', ordering: 'none' });
    const lost = r.anomalies.find((a) => a.kind === 'lost')!;
    expect(lost.events).toEqual([0, 1]);
    const dup = r.anomalies.find((a) => a.kind === 'duplicated')!;
    expect(dup.events.map((i) => h.events[i]!.f)).toEqual(['process', 'process']);
  });
});
