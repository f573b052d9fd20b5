/**
 * The shared HTTP push consumer and its group front, without a broker: what an endpoint answers
 * for ack / nack / neither, what the front answers when no endpoint can, and what it counts as
 * outstanding. (What brokers do with these answers: the pubsub-push and sns-http integration tests.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AckOutcome, Delivery } from '../../drivers/driver.ts';
import { HttpPushConsumer, type Pushed } from '../../drivers/http-push/push-consumer.ts';
import { PushFront } from '../../drivers/http-push/push-front.ts';

const decode = (body: Buffer): Pushed => {
  const m = JSON.parse(body.toString('utf8')) as { id?: string; confirm?: boolean };
  if (m.confirm) return { kind: 'reply', status: 204 };
  return { kind: 'message', message: { id: m.id ?? '?', poison: false, payload: body } };
};

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function front(): Promise<PushFront> {
  const f = await PushFront.start({ name: 'test', log: () => {} });
  open.push(f);
  return f;
}

async function endpoint(f: PushFront, handler: (d: Delivery) => Promise<void>): Promise<HttpPushConsumer> {
  const c = new HttpPushConsumer({ name: 'c', dest: 't', decode, front: f.url, log: () => {} });
  open.push(c);
  await c.start(handler);
  return c;
}

const push = (f: PushFront, body: unknown) =>
  fetch(`${f.url}/push`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.status);

describe('HTTP push consumer and front', () => {
  it('no endpoint registered: 503, and the front counts the failed push as outstanding for a while', async () => {
    const f = await front();
    expect(await push(f, { id: 'm1' })).toBe(503);
    expect(f.outstanding(3000)).toBe(1);
    expect(f.outstanding(0)).toBe(0);
  });

  it('ack answers 200 (info: never confirmed), nack 503 (ok), neither 500', async () => {
    const f = await front();
    const outcomes: AckOutcome[] = [];
    await endpoint(f, async (d) => {
      if (d.id === 'ack') outcomes.push(await d.ack());
      if (d.id === 'nack') outcomes.push(await d.nack({ requeue: true }));
    });
    expect(await push(f, { id: 'ack' })).toBe(200);
    expect(await push(f, { id: 'nack' })).toBe(503);
    expect(await push(f, { id: 'other' })).toBe(500);
    expect(await push(f, { confirm: true })).toBe(204);
    expect(outcomes.map((o) => o.status)).toEqual(['info', 'ok']);
    expect(f.stats.relayed).toBe(4);
  });

  it('a crashed endpoint: the request it held gets 502, the next 502 (refused, dropped from rotation), then 503, its acks fail', async () => {
    const f = await front();
    let held: Delivery | undefined;
    const c = await endpoint(f, async (d) => {
      held = d;
      await new Promise(() => {});
    });
    const pending = push(f, { id: 'm1' });
    while (!held) await new Promise((r) => setTimeout(r, 5));
    expect(f.outstanding(0)).toBe(1);
    await c.crash();
    expect(await pending).toBe(502);
    expect((await held.ack()).status).toBe('fail');
    // The next push finds the port refused: 502, and the endpoint leaves the rotation.
    expect(await push(f, { id: 'm2' })).toBe(502);
    expect(f.registered).toEqual([]);
    expect(await push(f, { id: 'm3' })).toBe(503);
  });

  it('two endpoints share a group round robin; a closed one leaves the front', async () => {
    const f = await front();
    const seen: string[] = [];
    const a = await endpoint(f, async (d) => {
      seen.push(`a:${d.id}`);
      await d.ack();
    });
    await endpoint(f, async (d) => {
      seen.push(`b:${d.id}`);
      await d.ack();
    });
    for (const id of ['1', '2', '3', '4']) expect(await push(f, { id })).toBe(200);
    expect(seen.filter((s) => s.startsWith('a:')).length).toBe(2);
    await a.close();
    expect(f.registered.length).toBe(1);
    expect(await push(f, { id: '5' })).toBe(200);
    expect(seen.at(-1)).toBe('b:5');
  });
});
