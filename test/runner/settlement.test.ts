import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/events.ts';
import { Settlement } from '../../runner/settlement.ts';

let i = 0;
const ev = (f: string, type: string, id: string, extra: Record<string, unknown> = {}): HistoryEvent =>
  ({ i: i++, t: i, p: 'x', f, type, id, ...extra }) as HistoryEvent;

describe('Settlement (is every message that may have reached the broker processed in every group?)', () => {
  it('is not settled before anything was sent', () => {
    expect(new Settlement(['g0']).settled()).toBe(false);
  });

  it('settles once every ok or info send is processed or dead-lettered in every group', () => {
    const s = new Settlement(['g0', 'g1']);
    for (const id of ['a', 'b', 'c']) s.add(ev('send', 'invoke', id));
    s.add(ev('send', 'ok', 'a'));
    s.add(ev('send', 'info', 'b'));
    s.add(ev('send', 'fail', 'c'));
    s.add(ev('process', 'ok', 'a', { group: 'g0' }));
    s.add(ev('process', 'ok', 'a', { group: 'g1' }));
    s.add(ev('process', 'ok', 'b', { group: 'g0' }));
    expect(s.settled()).toBe(false);
    expect(s.outstanding).toBe(1);
    s.add(ev('dlq', 'ok', 'b', { group: 'g1' }));
    expect(s.settled()).toBe(true);
  });

  it('a delivery without processing (a crash before it) does not settle; a duplicate process changes nothing', () => {
    const s = new Settlement(['g0']);
    s.add(ev('send', 'invoke', 'a'));
    s.add(ev('send', 'ok', 'a'));
    s.add(ev('deliver', 'ok', 'a', { group: 'g0' }));
    s.add(ev('ack', 'info', 'a', { group: 'g0' }));
    expect(s.settled()).toBe(false);
    s.add(ev('process', 'ok', 'a', { group: 'g0' }));
    s.add(ev('process', 'ok', 'a', { group: 'g0' }));
    expect(s.settled()).toBe(true);
    expect(s.outstanding).toBe(0);
  });

  it('is not settled while a send is unanswered', () => {
    const s = new Settlement(['g0']);
    s.add(ev('send', 'invoke', 'a'));
    s.add(ev('send', 'ok', 'a'));
    s.add(ev('process', 'ok', 'a', { group: 'g0' }));
    s.add(ev('send', 'invoke', 'b'));
    expect(s.settled()).toBe(false);
  });

  it('takes events without a group as the first group (single-group cases)', () => {
    const s = new Settlement(['g0']);
    s.add(ev('send', 'invoke', 'a'));
    s.add(ev('send', 'ok', 'a'));
    s.add(ev('process', 'ok', 'a'));
    expect(s.settled()).toBe(true);
  });

  it('counts a message processed before its send was answered (the consumer can be faster than the ack)', () => {
    const s = new Settlement(['g0', 'g1']);
    s.add(ev('send', 'invoke', 'a'));
    s.add(ev('process', 'ok', 'a', { group: 'g0' }));
    s.add(ev('send', 'ok', 'a'));
    expect(s.settled()).toBe(false);
    s.add(ev('process', 'ok', 'a', { group: 'g1' }));
    expect(s.settled()).toBe(true);
  });

  it('agrees after every event with the definition: every answered send processed in every group', () => {
    const groups = ['g0', 'g1'];
    const step = fc.record({
      f: fc.constantFrom('send', 'process', 'dlq', 'deliver'),
      type: fc.constantFrom('invoke', 'ok', 'info', 'fail'),
      id: fc.oneof(
        fc.nat(5).map((n) => `m${n}`),
        fc.constantFrom('order-1', 'order-2'),
      ),
      group: fc.option(fc.constantFrom('g0', 'g1', 'elsewhere'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const s = new Settlement(groups);
        const open = new Set<string>();
        const answered = new Set<string>();
        const done = new Set<string>();
        for (const x of steps) {
          s.add(ev(x.f, x.type, x.id, x.group === undefined ? {} : { group: x.group }));
          if (x.f === 'send' && x.type === 'invoke') open.add(x.id);
          else if (x.f === 'send') {
            open.delete(x.id);
            if (x.type !== 'fail') answered.add(x.id);
          } else if ((x.f === 'process' || x.f === 'dlq') && x.type === 'ok')
            done.add(`${x.group ?? groups[0]}/${x.id}`);
          const outstanding = [...answered].filter((id) => groups.some((g) => !done.has(`${g}/${id}`)));
          expect(s.outstanding).toBe(outstanding.length);
          expect(s.settled()).toBe(answered.size > 0 && open.size === 0 && outstanding.length === 0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
