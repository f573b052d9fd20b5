import type { EventInput, HistoryEvent } from '../../core/events.ts';

interface SendOptions {
  p?: string;
  dest?: string;
  key?: string;
  poison?: boolean;
}
interface GroupOptions {
  group?: string;
  p?: string;
}

/** Builds histories by hand for checker tests: `i` in order, `t` ten µs apart. */
export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];

  add(event: EventInput): this {
    const i = this.events.length;
    this.events.push({ i, t: i * 10, ...event } as HistoryEvent);
    return this;
  }

  /** The index the next event will get. */
  get next(): number {
    return this.events.length;
  }

  invoke(id: string, o: SendOptions = {}): this {
    return this.add({
      p: o.p ?? 'producer-0',
      type: 'invoke',
      f: 'send',
      id,
      dest: o.dest ?? 'q',
      ...(o.key !== undefined && { key: o.key }),
      ...(o.poison && { poison: true }),
    });
  }
  ok(id: string, o: { p?: string; partition?: number } = {}): this {
    return this.add({
      p: o.p ?? 'producer-0',
      type: 'ok',
      f: 'send',
      id,
      ...(o.partition !== undefined && { partition: o.partition }),
    });
  }
  fail(id: string, p = 'producer-0'): this {
    return this.add({ p, type: 'fail', f: 'send', id, error: 'refused' });
  }
  info(id: string, p = 'producer-0'): this {
    return this.add({ p, type: 'info', f: 'send', id, error: 'timeout' });
  }
  /** invoke + ok */
  sent(id: string, o: SendOptions = {}): this {
    return this.invoke(id, o).ok(id, o.p !== undefined ? { p: o.p } : {});
  }
  deliver(id: string, o: GroupOptions & { partition?: number; dest?: string } = {}): this {
    return this.add({
      p: o.p ?? 'consumer-0',
      type: 'ok',
      f: 'deliver',
      id,
      dest: o.dest ?? 'q',
      ...(o.group !== undefined && { group: o.group }),
      ...(o.partition !== undefined && { partition: o.partition }),
    });
  }
  process(id: string, o: GroupOptions = {}): this {
    return this.add({
      p: o.p ?? 'consumer-0',
      type: 'ok',
      f: 'process',
      id,
      ...(o.group !== undefined && { group: o.group }),
    });
  }
  ack(id: string, o: GroupOptions & { outcome?: 'ok' | 'fail' | 'info' } = {}): this {
    const p = o.p ?? 'consumer-0';
    const group = o.group !== undefined ? { group: o.group } : {};
    this.add({ p, type: 'invoke', f: 'ack', id, ...group });
    return this.add({ p, type: o.outcome ?? 'ok', f: 'ack', id, ...group });
  }
  /** deliver + process + ack */
  consumed(id: string, o: GroupOptions = {}): this {
    return this.deliver(id, o).process(id, o).ack(id, o);
  }
  nack(id: string, o: GroupOptions = {}): this {
    return this.add({
      p: o.p ?? 'consumer-0',
      type: 'ok',
      f: 'nack',
      id,
      requeue: true,
      reason: 'poison',
      ...(o.group !== undefined && { group: o.group }),
    });
  }
  dlq(id: string, o: GroupOptions = {}): this {
    return this.add({
      p: 'dlq-reader',
      type: 'ok',
      f: 'dlq',
      id,
      dest: 'q.dlq',
      ...(o.group !== undefined && { group: o.group }),
    });
  }
  effect(id: string, applied: boolean, o: GroupOptions = {}): this {
    return this.add({
      p: o.p ?? 'consumer-0',
      type: 'ok',
      f: 'effect',
      id,
      txn: id,
      applied,
      ...(o.group !== undefined && { group: o.group }),
    });
  }
  phase(
    phase: 'setup' | 'load' | 'heal' | 'drain' | 'check' | 'teardown',
    extra: Record<string, unknown> = {},
  ): this {
    return this.add({ p: 'harness', type: 'ok', f: 'phase', phase, ...extra });
  }
}

export const history = () => new HistoryBuilder();
