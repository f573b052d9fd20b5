import { closeSync, openSync, writeSync } from 'node:fs';
import { seededRandom } from '../../core/random.ts';

/**
 * Writes a synthetic history of about `events` events: keyed messages from 4 producers, delivered to
 * 2 consumer groups, with some redeliveries and duplicates, a few poison messages dead-lettered —
 * the shape of a real at-least-once run.
 */
export function generateHistory(file: string, events: number, seed = 1): number {
  const random = seededRandom(seed);
  const fd = openSync(file, 'w');
  let buffer: string[] = [];
  let i = 0;
  let t = 0;
  const emit = (e: Record<string, unknown>) => {
    t += 1 + Math.floor(random() * 5);
    buffer.push(JSON.stringify({ i: i++, t, ...e }));
    if (buffer.length >= 10_000) {
      writeSync(fd, `${buffer.join('\n')}\n`);
      buffer = [];
    }
  };
  writeSync(fd, `${JSON.stringify({ type: 'meta', version: 1, groups: ['g0', 'g1'] })}\n`);
  let m = 0;
  while (i < events) {
    const id = `m${m++}`;
    const p = `producer-${m % 4}`;
    const poison = random() < 0.001;
    emit({
      p,
      type: 'invoke',
      f: 'send',
      id,
      dest: 'orders',
      key: `k${m % 1000}`,
      ...(poison && { poison: true }),
    });
    emit({ p, type: 'ok', f: 'send', id, partition: m % 12, offset: m });
    for (const group of ['g0', 'g1']) {
      const c = `consumer-${group}-${m % 3}`;
      const deliveries = poison ? 3 : random() < 0.02 ? 2 : 1;
      for (let d = 0; d < deliveries; d++) {
        emit({
          p: c,
          type: 'ok',
          f: 'deliver',
          id,
          group,
          dest: 'orders',
          partition: m % 12,
          deliveryCount: d + 1,
        });
        if (poison) emit({ p: c, type: 'ok', f: 'nack', id, group, requeue: true, reason: 'poison' });
        else {
          emit({ p: c, type: 'ok', f: 'process', id, group });
          emit({ p: c, type: 'invoke', f: 'ack', id, group });
          emit({ p: c, type: 'ok', f: 'ack', id, group });
        }
      }
      if (poison) emit({ p: 'dlq-reader', type: 'ok', f: 'dlq', id, group, dest: 'orders.dlq' });
    }
  }
  writeSync(fd, `${buffer.join('\n')}\n`);
  closeSync(fd);
  return i;
}
