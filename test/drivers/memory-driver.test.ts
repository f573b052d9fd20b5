import { describe, expect, it } from 'vitest';
import { sleep } from '../../core/clock.ts';
import type { CaseTopology, Delivery } from '../../drivers/driver.ts';
import type { AnomalyRates } from '../../drivers/memory/anomalies.ts';
import { MemoryDriver } from '../../drivers/memory/memory-driver.ts';

const context = { signal: new AbortController().signal, log: () => {} };
const bytes = new Uint8Array(8);

async function topology(
  setupName: string,
  options: { groups?: string[]; partitions?: number; anomalies?: AnomalyRates; ackTimeoutMs?: number } = {},
) {
  const driver = new MemoryDriver({
    anomalies: options.anomalies ?? {},
    ackTimeoutMs: options.ackTimeoutMs ?? 100,
    sessionTimeoutMs: 30,
  });
  const setup = driver.setups.find((s) => s.name === setupName)!;
  return driver.createTopology(
    {
      caseId: `t-${Math.random().toString(36).slice(2)}`,
      setup,
      groups: options.groups ?? ['default'],
      partitions: options.partitions ?? 1,
      seed: 1,
    },
    context,
  );
}

async function send(t: CaseTopology, ids: string[], extra: { key?: string; poison?: boolean } = {}) {
  const producer = await t.producer('producer-0');
  const outcomes = [];
  for (const id of ids) outcomes.push(await producer.send({ id, payload: bytes, poison: false, ...extra }));
  return outcomes;
}

/** Collects deliveries; `handle` decides what to do with each. */
async function consume(
  t: CaseTopology,
  group: string,
  handle: (d: Delivery) => Promise<void> = (d) => d.ack().then(() => {}),
) {
  const seen: Delivery[] = [];
  const consumer = await t.consumer('consumer-0', group);
  await consumer.start(async (d) => {
    seen.push(d);
    await handle(d);
  });
  return { seen, consumer };
}

async function until(condition: () => boolean | Promise<boolean>, ms = 3000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(5);
  }
}

describe('memory broker: queues', () => {
  it('delivers and, once acked, holds nothing back', async () => {
    const t = await topology('queue');
    const { seen } = await consume(t, 'default');
    await send(t, ['a', 'b', 'c']);
    await until(async () => (await t.backlog!()) === 0 && seen.length === 3);
    expect(seen.map((d) => d.id).sort()).toEqual(['a', 'b', 'c']);
    expect(seen.every((d) => d.redelivered === false && d.deliveryCount === 1)).toBe(true);
    await t.dispose();
  });

  it("brings a crashed consumer's un-acked messages back after the ack timeout, flagged redelivered", async () => {
    const t = await topology('queue', { ackTimeoutMs: 60 });
    const first = await consume(t, 'default', async () => {}); // never acks
    await send(t, ['a']);
    await until(() => first.seen.length === 1);
    await first.consumer.crash();
    const second = await consume(t, 'default');
    const crashedAt = Date.now();
    await until(() => second.seen.length === 1);
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(40);
    expect(second.seen[0]).toMatchObject({ id: 'a', redelivered: true, deliveryCount: 2 });
    await t.dispose();
  });

  it('requeues a nacked message after its backoff delay', async () => {
    const t = await topology('queue');
    const times: number[] = [];
    const { seen } = await consume(t, 'default', async (d) => {
      times.push(Date.now());
      if (seen.length === 1) await d.nack({ requeue: true, delayMs: 80 });
      else await d.ack();
    });
    await send(t, ['a']);
    await until(() => seen.length === 2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(70);
    await t.dispose();
  });

  it('dead-letters instead of a delivery past the limit, and on reject', async () => {
    const t = await topology('queue-dlq');
    const { seen } = await consume(t, 'default', async (d) => {
      await d.nack({ requeue: d.id !== 'rejected' });
    });
    const dlq = await t.deadLetterConsumer!('dlq-reader', 'default');
    const dead: Delivery[] = [];
    await dlq.start(async (d) => {
      dead.push(d);
      await d.ack();
    });
    await send(t, ['poison', 'rejected']);
    await until(() => dead.length === 2);
    expect(seen.filter((d) => d.id === 'poison').map((d) => d.deliveryCount)).toEqual([1, 2, 3]);
    expect(dead.find((d) => d.id === 'poison')?.deadLetter?.deliveryCount).toBe(3);
    expect(dead.find((d) => d.id === 'rejected')?.deadLetter?.deliveryCount).toBe(1);
    await t.dispose();
  });

  it('fans out: every group gets every message', async () => {
    const t = await topology('queue', { groups: ['g1', 'g2'] });
    const one = await consume(t, 'g1');
    const two = await consume(t, 'g2');
    await send(t, ['a', 'b']);
    await until(() => one.seen.length === 2 && two.seen.length === 2);
    await t.dispose();
  });

  it('auto-ack: a message is gone once delivered, even if the consumer dies', async () => {
    const t = await topology('auto-ack');
    const first = await consume(t, 'default', async () => {});
    await send(t, ['a']);
    await until(() => first.seen.length === 1);
    await first.consumer.crash();
    expect(await t.backlog!()).toBe(0);
    await t.dispose();
  });
});

describe('memory broker: logs', () => {
  it('keeps per-key order across partitions and reports partition and offset', async () => {
    const t = await topology('log', { partitions: 3 });
    const { seen } = await consume(t, 'default');
    const producer = await t.producer('p');
    const keys = ['x', 'y', 'z'];
    for (let n = 0; n < 30; n++) {
      const outcome = await producer.send({ id: `m${n}`, key: keys[n % 3]!, payload: bytes, poison: false });
      expect(outcome).toMatchObject({
        status: 'ok',
        partition: expect.any(Number),
        offset: expect.any(Number),
      });
    }
    await until(() => seen.length === 30);
    for (const key of keys) {
      const ids = seen.filter((d) => d.key === key).map((d) => Number(d.id.slice(1)));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(seen.filter((d) => d.key === key).map((d) => d.partition)).size).toBe(1);
    }
    await t.dispose();
  });

  it('after a crash the group resumes at the committed offset: uncommitted records come again', async () => {
    const t = await topology('log');
    let acked = 0;
    const first = await consume(t, 'default', async (d) => {
      if (acked < 2) {
        acked++;
        await d.ack();
      } // then stalls on the third, uncommitted
    });
    await send(t, ['a', 'b', 'c', 'd']);
    await until(() => first.seen.length === 3);
    await first.consumer.crash();
    const second = await consume(t, 'default');
    await until(() => second.seen.length === 2);
    expect(second.seen.map((d) => [d.id, d.redelivered])).toEqual([
      ['c', true],
      ['d', false],
    ]);
    await until(async () => (await t.backlog!()) === 0);
    await t.dispose();
  });

  it('refuses a commit from a member whose partition moved away (rebalance)', async () => {
    const t = await topology('log');
    let pending: Delivery | undefined;
    const first = await consume(t, 'default', async (d) => {
      pending = d;
    });
    await send(t, ['a']);
    await until(() => pending !== undefined);
    await first.consumer.close();
    expect(await pending!.ack()).toMatchObject({ status: 'fail' });
    await t.dispose();
  });
});

describe('memory broker: anomalies', () => {
  const deliveredIds = async (
    setup: string,
    anomalies: AnomalyRates,
    ids: string[],
    opts: { key?: string } = {},
  ) => {
    const t = await topology(setup, { anomalies });
    const { seen } = await consume(t, 'default');
    const outcomes = await send(t, ids, opts);
    await until(async () => (await t.backlog!()) === 0);
    await sleep(30);
    const injected = t.diagnostics!().injected as Record<string, number>;
    await t.dispose();
    return { ids: seen.map((d) => d.id), outcomes, injected };
  };
  const ids = Array.from({ length: 20 }, (_, n) => `m${n}`);

  it('drop: acknowledged sends that never arrive', async () => {
    const r = await deliveredIds('queue', { drop: 1 }, ids);
    expect(r.outcomes.every((o) => o.status === 'ok')).toBe(true);
    expect(r.ids).toEqual([]);
    expect(r.injected.drop).toBe(20);
  });
  it('phantom: failed sends that arrive anyway', async () => {
    const r = await deliveredIds('queue', { phantom: 1 }, ids);
    expect(r.outcomes.every((o) => o.status === 'fail')).toBe(true);
    expect(r.ids.sort()).toEqual([...ids].sort());
  });
  it('duplicate: every message delivered twice', async () => {
    const r = await deliveredIds('queue', { duplicate: 1 }, ids);
    expect(r.ids).toHaveLength(40);
  });
  it('reorder: a held message is overtaken by the next one with its key', async () => {
    const r = await deliveredIds('log', { reorder: 1 }, ['a', 'b'], { key: 'k' });
    expect(r.ids).toEqual(['b', 'a']);
    expect(r.injected.reorder).toBe(1);
  });
  it('none of them without a rate', async () => {
    const r = await deliveredIds('queue', {}, ids);
    expect(r.ids.sort()).toEqual([...ids].sort());
    expect(Object.values(r.injected).every((n) => n === 0)).toBe(true);
  });
});
