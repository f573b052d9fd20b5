import { describe, expect, it } from 'vitest';
import { check } from '../../checker/check.ts';
import { history } from '../helpers/history-builder.ts';

// The index finds the runner's ids (`m<n>`) by n in a dense column and every other id in a map:
// ids that look alike must still be told apart, and the same id found again wherever it was kept.
describe('message identity', () => {
  it('tells apart ids that only look like the same number', () => {
    const ids = ['m1', 'm01', 'm001', '1', 'M1', 'm1x', 'm', 'm-1', 'm4294967297', 'm2000000000'];
    let h = history();
    for (const id of ids) h = h.sent(id);
    for (const id of ids) h = h.consumed(id);
    const r = check(h.events, { claim: { delivery: 'exactly-once', ordering: 'none' } });
    expect(r.counts.attempted).toBe(ids.length);
    expect(r.counts.processed).toBe(ids.length);
    expect(r.counts.duplicated).toBe(0);
    expect(r.valid).toBe(true);
  });

  it('finds an id kept in the map once it would fit the dense column', () => {
    // m200000 is far beyond the messages seen when first sent (kept in the map); by its second
    // processing, 100001 more messages make it fit the dense column: it must still be the same one.
    let h = history().sent('m200000').consumed('m200000');
    for (let n = 0; n <= 100_000; n++) h = h.sent(`m${n}`).consumed(`m${n}`);
    h = h.process('m200000');
    const r = check(h.events, { claim: { delivery: 'exactly-once', ordering: 'none' } });
    expect(r.counts.attempted).toBe(100_002);
    expect(r.counts.duplicated).toBe(1);
    expect(r.anomalies.find((a) => a.kind === 'duplicated')?.id).toBe('m200000');
  });
});
