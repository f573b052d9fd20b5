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
});
