import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryFormatError } from '../../core/errors.ts';
import {
  ABSENCE_KINDS,
  type Claim,
  describeClaim,
  forbiddenAnomalies,
  INFORMATIONAL_KINDS,
} from '../../core/guarantee.ts';
import { readHistory } from '../../core/history-reader.ts';

const write = (events: unknown[]) => {
  const file = join(mkdtempSync(join(tmpdir(), 'bp-es-')), 'h.ndjson');
  writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  return file;
};
const at = (i: number, e: Record<string, unknown>) => ({ i, t: i * 10, ...e });

describe('history format: event sourcing operations', () => {
  it('reads appends, applies, queries and stream read-backs; integer event ids become strings', async () => {
    const events = [
      at(0, { p: 'writer-0', type: 'invoke', f: 'append', stream: 's1', id: 7, expected: 0 }),
      at(1, { p: 'writer-0', type: 'ok', f: 'append', stream: 's1', id: 7, version: 1 }),
      at(2, { p: 'writer-1', type: 'invoke', f: 'append', stream: 's1', id: 'e2', expected: 'any' }),
      at(3, { p: 'writer-1', type: 'fail', f: 'append', stream: 's1', id: 'e2', error: 'conflict' }),
      at(4, { p: 'projector', type: 'ok', f: 'apply', group: 'proj', stream: 's1', id: 7, version: 1 }),
      at(5, { p: 'reader-0', type: 'invoke', f: 'query', group: 'proj', stream: 's1' }),
      at(6, { p: 'reader-0', type: 'ok', f: 'query', group: 'proj', stream: 's1', version: 0 }),
      at(7, { p: 'reader-0', type: 'invoke', f: 'query', group: 'proj', stream: 's1' }),
      at(8, { p: 'reader-0', type: 'info', f: 'query', group: 'proj', error: 'timeout' }),
      at(9, { p: 'harness', type: 'ok', f: 'state', group: 'replay', streams: 1 }),
      at(10, {
        p: 'harness',
        type: 'ok',
        f: 'state',
        group: 'replay',
        stream: 's1',
        version: 1,
        digest: 'x',
      }),
      at(11, { p: 'harness', type: 'ok', f: 'state', group: 'g', id: 'm1', effects: 2 }),
    ];
    const read = await readHistory(write(events));
    expect(read.events).toHaveLength(events.length);
    expect(read.events[0]).toMatchObject({ f: 'append', id: '7' });
    expect(read.events[4]).toMatchObject({ f: 'apply', id: '7' });
  });

  it.each([
    [{ p: 'w', type: 'invoke', f: 'append', id: 'e', expected: 0 }, /an append event needs a "stream"/],
    [{ p: 'w', type: 'invoke', f: 'append', stream: 's', expected: 0 }, /an append event needs an "id"/],
    [{ p: 'w', type: 'invoke', f: 'append', id: 'e', stream: 's' }, /an append invoke needs "expected"/],
    [
      { p: 'w', type: 'invoke', f: 'append', id: 'e', stream: 's', expected: -1 },
      /"expected": a stream version \(integer ≥ 0\) or "any"/,
    ],
    [
      { p: 'w', type: 'ok', f: 'append', id: 'e', stream: 's', expected: 'some' },
      /an append event may carry "expected"/,
    ],
    [
      { p: 'w', type: 'ok', f: 'append', id: 'e', stream: 's' },
      /an append ok needs a "version" \(integer ≥ 1\)/,
    ],
    [{ p: 'w', type: 'ok', f: 'append', id: 'e', stream: 's', version: 0 }, /integer ≥ 1/],
    [{ p: 'w', type: 'fail', f: 'append', id: 'e', stream: 's', error: 9 }, /"error" must be a string/],
    [
      { p: 'w', type: 'invoke', f: 'apply', id: 'e', stream: 's', version: 1 },
      /"type" of a apply event must be ok/,
    ],
    [{ p: 'w', type: 'ok', f: 'apply', id: 'e', stream: 's' }, /an apply event needs a "version"/],
    [{ p: 'w', type: 'ok', f: 'apply', id: 'e', version: 1 }, /an apply event needs a "stream"/],
    [
      { p: 'w', type: 'ok', f: 'apply', group: 'replay', id: 'e', stream: 's', version: 1 },
      /"replay" is reserved for the state rebuilt from the store/,
    ],
    [
      { p: 'w', type: 'ok', f: 'apply', group: 3, id: 'e', stream: 's', version: 1 },
      /"group" must be a string/,
    ],
    [{ p: 'r', type: 'ok', f: 'query', group: 'g', version: 1 }, /a query ok needs a "stream"/],
    [
      { p: 'r', type: 'ok', f: 'query', group: 'g', stream: 's' },
      /a query ok needs a "version" \(integer ≥ 0\)/,
    ],
    [{ p: 'r', type: 'invoke', f: 'query', group: 'g', stream: 's', version: 1.5 }, /integer ≥ 0/],
    [
      { p: 'h', type: 'ok', f: 'state', group: 'g', stream: 's' },
      /a state event with a "stream" needs a "version"/,
    ],
    [{ p: 'h', type: 'ok', f: 'state', stream: 's', version: 1, digest: 5 }, /"digest" must be a string/],
    [{ p: 'h', type: 'ok', f: 'state', group: 'g', streams: -2 }, /"streams" must be a non-negative integer/],
  ])('rejects %j with its line number', async (event, message) => {
    const good = at(0, { p: 'w', type: 'invoke', f: 'append', id: 'e0', stream: 's', expected: 0 });
    const error = await readHistory(write([good, at(1, event)])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryFormatError);
    expect((error as HistoryFormatError).line).toBe(2);
    expect((error as Error).message).toMatch(message);
  });
});

describe('claims: event store, projections, staleness', () => {
  const base: Claim = { delivery: 'at-least-once', ordering: 'none' };
  const esKinds = (claim: Claim) =>
    forbiddenAnomalies(claim)
      .filter((k) => !forbiddenAnomalies(base).includes(k))
      .sort();

  it.each([
    [{ concurrency: 'optimistic' }, ['expectationIgnored', 'forked']],
    [{ concurrency: 'single-writer' }, ['forked']],
    [
      { projection: 'exactly-once' },
      [
        'nonMonotonicRead',
        'projectionDuplicated',
        'projectionLost',
        'projectionPhantom',
        'projectionReordered',
        'readModelDiverged',
      ],
    ],
    [
      { projection: 'at-least-once' },
      ['nonMonotonicRead', 'projectionLost', 'projectionPhantom', 'readModelDiverged'],
    ],
    [
      { projection: 'idempotent-by-version' },
      [
        'nonMonotonicRead',
        'projectionDuplicated',
        'projectionLost',
        'projectionPhantom',
        'projectionReordered',
        'readModelDiverged',
      ],
    ],
    [{ maxStalenessMs: 250 }, ['staleRead']],
    [{}, []],
  ] as [Partial<Claim>, string[]][])('%j forbids %j', (extra, kinds) => {
    expect(esKinds({ ...base, ...extra })).toEqual(kinds);
  });

  it('no event sourcing kind is informational; a lost event and a diverged read model are absences', () => {
    for (const kind of ['forked', 'staleRead', 'nonMonotonicRead', 'projectionPhantom'] as const)
      expect(INFORMATIONAL_KINDS.has(kind) || ABSENCE_KINDS.has(kind)).toBe(false);
    expect(ABSENCE_KINDS.has('projectionLost') && ABSENCE_KINDS.has('readModelDiverged')).toBe(true);
  });

  it('describes the event sourcing parts of a claim', () => {
    expect(
      describeClaim({ ...base, concurrency: 'optimistic', projection: 'at-least-once', maxStalenessMs: 500 }),
    ).toBe('at-least-once, optimistic concurrency, at-least-once projections, reads at most 500 ms stale');
    expect(describeClaim({ ...base, concurrency: 'single-writer' })).toBe(
      'at-least-once, single-writer streams',
    );
    expect(describeClaim(base)).toBe('at-least-once');
  });
});
