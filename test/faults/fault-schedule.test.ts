import { describe, expect, it } from 'vitest';
import { sleep } from '../../core/clock.ts';
import type { FaultPlan } from '../../faults/fault-plan.ts';
import { FaultSchedule } from '../../faults/fault-schedule.ts';
import type { Nemesis } from '../../faults/nemesis.ts';

/** A nemesis that only writes down what it was asked (in order), whose heal takes `healMs` (a broker restart). */
function recordingNemesis(healMs: number) {
  const log: string[] = [];
  const nemesis = {
    beforeLoad: async () => {},
    start: async (p: FaultPlan) => void log.push(`start ${p.kind}`),
    stop: async (p: FaultPlan) => {
      log.push(`stop ${p.kind} begins`);
      await sleep(healMs);
      log.push(`stop ${p.kind} done`);
    },
    cancelled: (p: FaultPlan) => void log.push(`cancelled ${p.kind}`),
    healAll: async () => void log.push('healAll'),
  };
  return { log, nemesis: nemesis as unknown as Nemesis };
}

const plan = (kind: FaultPlan['kind'], atMs: number, durationMs: number): FaultPlan => ({
  kind,
  atMs,
  durationMs,
  params: {},
});

describe('fault schedule', () => {
  it('starts a fault on a target only once the previous one there has healed, however long that took', async () => {
    const { log, nemesis } = recordingNemesis(400);
    const schedule = new FaultSchedule(
      [plan('broker-kill', 0, 100), plan('broker-pause', 150, 100)],
      nemesis,
    );
    schedule.begin();
    await sleep(1_200);
    await schedule.end();
    expect(log).toEqual([
      'start broker-kill',
      'stop broker-kill begins',
      // Planned 50 ms after the kill's heal began; it waits until the restart is done.
      'stop broker-kill done',
      'start broker-pause',
      'stop broker-pause begins',
      'stop broker-pause done',
      'healAll',
    ]);
  });

  it('starts two overdue faults of one target one after the other, never together', async () => {
    const { log, nemesis } = recordingNemesis(300);
    const schedule = new FaultSchedule(
      [plan('kill-node', 0, 50), plan('kill-leader', 100, 50), plan('isolate-node', 120, 50)],
      nemesis,
    );
    schedule.begin();
    await sleep(1_500);
    await schedule.end();
    expect(log).toEqual([
      'start kill-node',
      'stop kill-node begins',
      'stop kill-node done',
      'start kill-leader',
      'stop kill-leader begins',
      'stop kill-leader done',
      'start isolate-node',
      'stop isolate-node begins',
      'stop isolate-node done',
      'healAll',
    ]);
  });

  it('lets faults on different targets overlap', async () => {
    const { log, nemesis } = recordingNemesis(0);
    const schedule = new FaultSchedule(
      [plan('broker-kill', 0, 300), plan('producer-crash', 100, 100)],
      nemesis,
    );
    schedule.begin();
    await sleep(500);
    await schedule.end();
    expect(log.slice(0, 3)).toEqual([
      'start broker-kill',
      'start producer-crash',
      'stop producer-crash begins',
    ]);
  });

  it('records a fault still waiting for its target when the load ends as cancelled, and starts nothing after', async () => {
    const { log, nemesis } = recordingNemesis(1_000);
    const schedule = new FaultSchedule([plan('broker-kill', 0, 50), plan('broker-pause', 100, 50)], nemesis);
    schedule.begin();
    await sleep(300);
    await schedule.end();
    expect(log).toContain('cancelled broker-pause');
    expect(log.filter((l) => l.includes('start broker-pause'))).toEqual([]);
    expect(log.at(-1)).toBe('healAll');
  });

  it('says when every fault has acted and healed, so the load can wait for a fault still due', async () => {
    const { log, nemesis } = recordingNemesis(300);
    const schedule = new FaultSchedule([plan('broker-kill', 0, 50), plan('broker-pause', 60, 50)], nemesis);
    schedule.begin();
    await schedule.played;
    expect(log).toEqual([
      'start broker-kill',
      'stop broker-kill begins',
      'stop broker-kill done',
      'start broker-pause',
      'stop broker-pause begins',
      'stop broker-pause done',
    ]);
    await schedule.end();
    expect(log).not.toContain('cancelled broker-pause');
  });
});
