import { describe, expect, it } from 'vitest';
import { MessagePlan, planMessages } from '../../runner/messages.ts';
import { plainWorkload, type Workload } from '../../scenarios/scenario.ts';

const workload = (over: Partial<Workload>): Workload =>
  plainWorkload(500, { producers: 3, keys: 7, poison: [3, 250], payloadBytes: 16, seed: 42, ...over });

// The plan makes each message when it is sent; a producer must get exactly the messages, in the
// order, that the whole list filtered by producer gives (what a replay of an older run sent).
describe('message plan', () => {
  it.each([{ keys: 7 }, { keys: 0 }, { producers: 1 }])('gives each producer its messages (%o)', (over) => {
    const w = workload(over);
    const all = planMessages(w);
    const plan = new MessagePlan(w);
    expect(all.map((m) => m.id)).toEqual(Array.from({ length: w.messages }, (_, n) => `m${n}`));
    for (let p = 0; p < w.producers; p++) {
      const mine = Array.from(plan.of(p), (n) => plan.message(n));
      expect(mine).toEqual(all.filter((m) => m.producer === p));
      expect(mine.length).toBeGreaterThan(0);
    }
    expect(all.filter((m) => m.poison).map((m) => m.id)).toEqual(['m3', 'm250']);
    expect(new TextDecoder().decode(all[12]!.payload.subarray(0, 3))).toBe('m12');
  });
});
