import { describe, expect, it } from 'vitest';
import { sleep } from '../../core/clock.ts';
import type { Consumer, ConsumerOptions, DeliveryHandler, TopologyClients } from '../../drivers/driver.ts';
import { ConsumerClient } from '../../runner/consumer-client.ts';
import { CrashClaims } from '../../runner/crash-claims.ts';
import { workQueue } from '../../scenarios/work-queue/index.ts';
import { pacedWorkload } from '../helpers/planned-case.ts';

describe('a consumer routed through its own proxy', () => {
  it('connects through it in every incarnation: a crash restart keeps its `via`', async () => {
    const via = { host: '127.0.0.1', port: 40001 };
    const asked: (ConsumerOptions | undefined)[] = [];
    const topology: TopologyClients = {
      dest: 'q',
      producer: async () => {
        throw new Error('no producers here');
      },
      consumer: async (_name, _group, options) => {
        asked.push(options);
        const incarnation = asked.length;
        return {
          // The first incarnation gets one message (and dies on it); the restarted one gets none.
          start: async (handler: DeliveryHandler) => {
            if (incarnation > 1) return;
            void handler({
              id: 'm-0',
              dest: 'q',
              poison: false,
              payload: new Uint8Array(),
              ack: async () => ({ status: 'ok' }),
              nack: async () => ({ status: 'ok' }),
            });
          },
          crash: async () => {},
          close: async () => {},
        } satisfies Consumer;
      },
    };
    const claims = CrashClaims.create();
    const client = new ConsumerClient({
      name: 'consumer-0',
      group: 'default',
      topology,
      via,
      recorder: { record: () => {} },
      scenario: workQueue,
      variant: 'default',
      workload: pacedWorkload(1, 0, []),
      crashes: [{ index: 0, plan: { group: 0, atDelivery: 1, point: 'before-process' } }],
      claims,
      store: undefined,
      random: () => 0.5,
      ackOnDelivery: false,
      restartDelayMs: 0,
    });
    try {
      await client.start();
      for (let i = 0; i < 100 && asked.length < 2; i++) await sleep(10);
      await client.heal();
      expect(asked).toEqual([{ via }, { via }]);
    } finally {
      await client.stop();
      claims.dispose();
    }
  });
});

describe("a consumer's first start", () => {
  const client = (topology: TopologyClients, log: string[], firstStartRetryMs?: number) =>
    new ConsumerClient({
      name: 'consumer-0',
      group: 'default',
      topology,
      recorder: { record: () => {} },
      scenario: workQueue,
      variant: 'default',
      workload: pacedWorkload(1, 0, []),
      crashes: [],
      claims: CrashClaims.create(),
      store: undefined,
      random: () => 0.5,
      ackOnDelivery: false,
      restartDelayMs: 0,
      log: (m) => log.push(m),
      firstStartRetryMs,
    });
  const refusing = (refusals: number) => {
    let asked = 0;
    const topology: TopologyClients = {
      dest: 'q',
      producer: async () => {
        throw new Error('no producers here');
      },
      consumer: async () => {
        asked++;
        if (asked <= refusals) throw new Error('JetStream system temporarily unavailable');
        return { start: async () => {}, crash: async () => {}, close: async () => {} } satisfies Consumer;
      },
    };
    return { topology, asked: () => asked };
  };

  it('is retried while the broker refuses for a moment, and says so', async () => {
    const log: string[] = [];
    const { topology, asked } = refusing(2);
    const c = client(topology, log);
    await c.start();
    expect(asked()).toBe(3);
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(
      /consumer-0: could not start \(JetStream system temporarily unavailable\); again in 250 ms/,
    );
    await c.stop();
  });

  it('fails with the broker’s error once the retry time is used up', async () => {
    const { topology } = refusing(1_000);
    const c = client(topology, [], 1_000);
    await expect(c.start()).rejects.toThrow(/temporarily unavailable/);
  });
});
