import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors.ts';
import { parseFaultSpec } from '../../faults/fault-plan.ts';
import { Nemesis } from '../../faults/nemesis.ts';
import { describePowerLoss, powerLossDetail } from '../../faults/power-loss.ts';
import { LossyFsUnavailableError } from '../../native/lossyfs.ts';
import { planDedicated, serverEnvOf, startDedicated } from '../../provision/local/dedicated.ts';

const jetstream = { name: 'jetstream', options: { kind: 'jetstream' } };
const syncAlways = { name: 'jetstream-sync-always', options: { server: { sync_interval: 'always' } } };

describe('power-loss: the plan', () => {
  it('is a broker fault of the whole broker, never of the store', () => {
    expect(parseFaultSpec('power-loss')).toEqual({ kind: 'power-loss' });
    expect(parseFaultSpec('power-loss@store')).toBeUndefined();
    expect(Nemesis.unsupported('power-loss', {})).toMatch(/native/);
    expect(Nemesis.unsupported('power-loss', { broker: 'nats' })).toBeUndefined();
  });

  it('needs a dedicated instance with power-loss, or when every setup names the same server settings', () => {
    expect(planDedicated('nats', ['partition'], [jetstream])).toBeUndefined();
    expect(planDedicated('nats', ['power-loss'], [jetstream])).toEqual({ lossy: true, serverEnv: {} });
    expect(planDedicated('nats', ['power-loss'], [syncAlways])).toEqual({
      lossy: true,
      serverEnv: { BROKERPROOF_NATS_SYNC_INTERVAL: 'always' },
    });
    expect(planDedicated('nats', [], [syncAlways])).toEqual({
      lossy: false,
      serverEnv: { BROKERPROOF_NATS_SYNC_INTERVAL: 'always' },
    });
  });

  it('setups that disagree share the shared broker without power-loss, and are refused with it', () => {
    expect(planDedicated('nats', [], [jetstream, syncAlways])?.note).toMatch(/shared nats/);
    expect(() => planDedicated('nats', ['power-loss'], [jetstream, syncAlways])).toThrow(UsageError);
  });

  it('maps server settings to what each broker reads', () => {
    expect(serverEnvOf('kafka', { 'log.flush.interval.messages': 1 })).toEqual({
      BROKERPROOF_KAFKA_SERVER_PROPERTIES: 'log.flush.interval.messages=1',
    });
    expect(() => serverEnvOf('rabbitmq', { anything: 1 })).toThrow(UsageError);
  });
});

describe('power-loss: what the history records', () => {
  it('lists the files that lost bytes, largest first, and the totals', () => {
    const detail = powerLossDetail(
      {
        metadata: 'journal',
        droppedBytes: 1300,
        files: [
          {
            path: 'a',
            sizeBefore: 200,
            sizeAfter: 100,
            droppedBytes: 100,
            revertedBytes: 0,
            truncatedBytes: 100,
          },
          {
            path: 'b',
            sizeBefore: 1000,
            sizeAfter: 0,
            droppedBytes: 1000,
            revertedBytes: 0,
            truncatedBytes: 1000,
          },
        ],
        removed: [{ path: 'c', type: 'file', size: 200 }],
        restored: [{ path: 'd', type: 'file' }],
        durationMs: 1,
      },
      { pid: 42, killMs: 5, dropMs: 1 },
    );
    expect(detail.files.map((f) => f.path)).toEqual(['b', 'a']);
    expect(detail).toMatchObject({
      droppedBytes: 1300,
      removed: [{ path: 'c', size: 200 }],
      restored: ['d'],
    });
    expect(describePowerLoss(detail)).toBe(
      'dropped 1300 bytes from 2 files (b 1000, a 100), 1 name removed, 1 restored',
    );
  });
});

describe('power-loss: when it cannot fire', () => {
  it('a broker not on lossyfs: the start fails (the case is unknown, never a pass)', async () => {
    const events: Array<Record<string, unknown>> = [];
    const nemesis = new Nemesis(
      { broker: 'nats' },
      { record: (e) => events.push(e as Record<string, unknown>) },
      undefined,
    );
    await nemesis.start({ kind: 'power-loss', atMs: 0, durationMs: 1, params: {} });
    expect(events.map((e) => [e.type, e.fault, e.target])).toEqual([
      ['invoke', 'power-loss', 'nats'],
      ['fail', 'power-loss', 'nats'],
    ]);
    expect(String(events[1]?.error)).toMatch(/does not run on lossyfs/);
  });

  it('a broker lossyfs cannot serve is refused before anything starts (exit 2)', async () => {
    const refused = startDedicated({ broker: 'pubsub', lossy: true });
    await expect(refused).rejects.toBeInstanceOf(LossyFsUnavailableError);
    await expect(refused).rejects.toMatchObject({ exitCode: 2 });
  });
});
