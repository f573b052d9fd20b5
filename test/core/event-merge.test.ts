import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventMerge } from '../../core/event-merge.ts';
import type { EventInput } from '../../core/events.ts';

const ev = (id: string): EventInput => ({ p: 'x', type: 'ok', f: 'process', id });

function merge(now: () => number, maxHold = 1_000_000) {
  const out: string[] = [];
  const m = new EventMerge((input, t) => out.push(`${(input as { id: string }).id}@${t}`), now, maxHold);
  return { m, out };
}

describe('merging events of several processes by time', () => {
  it('passes local events straight through when no worker source is open', () => {
    const { m, out } = merge(() => 0);
    m.pushLocal(5, ev('a'));
    m.pushLocal(7, ev('b'));
    expect(out).toEqual(['a@5', 'b@7']);
  });

  it('holds an event until every source has advanced past it, then releases in time order', () => {
    let now = 100;
    const { m, out } = merge(() => now);
    const consumer = m.open();
    const reader = m.open();
    // The reader (fast pipe) reports a dead-letter at 60 before the consumer's delivery at 50 arrives.
    reader.push(60, ev('dlq'));
    m.pushLocal(100, ev('phase'));
    expect(out).toEqual([]);
    consumer.push(50, ev('deliver'));
    expect(out).toEqual(['deliver@50']); // the reader has only reached 60, the consumer 50
    consumer.advance(70);
    expect(out).toEqual(['deliver@50', 'dlq@60']);
    reader.advance(200);
    consumer.advance(200);
    now = 200;
    expect(out).toEqual(['deliver@50', 'dlq@60', 'phase@100']);
  });

  it('a closed source no longer holds anything back, and flush releases everything', () => {
    const { m, out } = merge(() => 0);
    const a = m.open();
    const b = m.open();
    a.push(10, ev('a1'));
    expect(out).toEqual([]);
    b.close();
    expect(out).toEqual(['a1@10']);
    a.push(30, ev('a2'));
    m.pushLocal(40, ev('local'));
    expect(m.caughtUp(40)).toBe(false);
    m.flush();
    expect(out).toEqual(['a1@10', 'a2@30', 'local@40']);
  });

  it('releases what waited longer than the hold limit even if a source is stuck', () => {
    let now = 0;
    const { m, out } = merge(() => now, 100);
    m.open(); // never reports progress
    m.pushLocal(10, ev('x'));
    expect(out).toEqual([]);
    now = 200;
    m.pushLocal(200, ev('y'));
    expect(out).toEqual(['x@10']);
  });

  it('puts out every event once, in time order (arrival order for equal times), however sources interleave', () => {
    // Steps: a source pushes an event or reports progress (each source's times never go back), this
    // process records one (stamped at or after everything so far), or a source closes.
    const step = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), source: fc.nat(2), dt: fc.nat(3) }),
      fc.record({ kind: fc.constant('advance' as const), source: fc.nat(2), dt: fc.nat(3) }),
      fc.record({ kind: fc.constant('local' as const), source: fc.constant(0), dt: fc.nat(3) }),
      fc.record({ kind: fc.constant('close' as const), source: fc.nat(2), dt: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const out: string[] = [];
        const m = new EventMerge(
          (input, t) => out.push(`${(input as { id: string }).id}@${t}`),
          () => 0,
          1e15,
        );
        const sources = [m.open(), m.open(), m.open()];
        const at = [0, 0, 0];
        const open = [true, true, true];
        let local = 0;
        const sent: { id: string; t: number }[] = [];
        for (const [n, s] of steps.entries()) {
          if (s.kind === 'local') {
            const t = Math.max(local, ...at) + s.dt;
            local = t;
            sent.push({ id: `l${n}`, t });
            m.pushLocal(t, ev(`l${n}`));
            continue;
          }
          if (!open[s.source]) continue;
          at[s.source]! += s.dt;
          const source = sources[s.source]!;
          if (s.kind === 'push') {
            sent.push({ id: `s${n}`, t: at[s.source]! });
            source.push(at[s.source]!, ev(`s${n}`));
          } else if (s.kind === 'advance') source.advance(at[s.source]!);
          else {
            open[s.source] = false;
            source.close();
          }
        }
        m.flush();
        // Array.prototype.sort is stable: equal times stay in the order they were sent.
        const expected = [...sent].sort((a, b) => a.t - b.t).map((e) => `${e.id}@${e.t}`);
        expect(out).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
