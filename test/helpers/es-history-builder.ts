import type { EventInput, HistoryEvent } from '../../core/events.ts';

/**
 * Builds event-sourcing histories by hand: `i` in order, the clock 1 ms (1000 µs) a step unless
 * `wait` moves it further. Writers are `writer-N`, projections `projector-<group>`, readers `reader-N`.
 */
export class EsHistoryBuilder {
  readonly events: HistoryEvent[] = [];
  private t = 0;

  add(event: EventInput): this {
    const i = this.events.length;
    this.events.push({ i, t: this.t, ...event } as HistoryEvent);
    this.t += 1000;
    return this;
  }

  /** The index the next event will get. */
  get next(): number {
    return this.events.length;
  }

  /** Moves the clock `ms` further before the next event. */
  wait(ms: number): this {
    this.t += ms * 1000;
    return this;
  }

  appendInvoke(id: string, stream: string, expected: number | 'any', p = 'writer-0'): this {
    return this.add({ p, type: 'invoke', f: 'append', id, stream, expected });
  }
  appendOk(id: string, stream: string, version: number, p = 'writer-0'): this {
    return this.add({ p, type: 'ok', f: 'append', id, stream, version });
  }
  appendFail(id: string, stream: string, p = 'writer-0'): this {
    return this.add({ p, type: 'fail', f: 'append', id, stream, error: 'conflict' });
  }
  appendInfo(id: string, stream: string, p = 'writer-0'): this {
    return this.add({ p, type: 'info', f: 'append', id, stream, error: 'timeout' });
  }
  /** invoke (expecting version − 1 unless told) + ok at `version`. */
  appended(
    id: string,
    stream: string,
    version: number,
    o: { expected?: number | 'any'; p?: string } = {},
  ): this {
    const p = o.p ?? 'writer-0';
    return this.appendInvoke(id, stream, o.expected ?? version - 1, p).appendOk(id, stream, version, p);
  }

  apply(id: string, stream: string, version: number, group = 'proj'): this {
    return this.add({ p: `projector-${group}`, type: 'ok', f: 'apply', group, id, stream, version });
  }

  queryInvoke(p: string, group: string, stream: string): this {
    return this.add({ p, type: 'invoke', f: 'query', group, stream });
  }
  queryOk(p: string, group: string, stream: string, version: number): this {
    return this.add({ p, type: 'ok', f: 'query', group, stream, version });
  }
  /** invoke + ok */
  query(p: string, group: string, stream: string, version: number): this {
    return this.queryInvoke(p, group, stream).queryOk(p, group, stream, version);
  }

  /** The read-back marker of `group` (a projection, or `replay`). */
  readBack(group: string, streams: number): this {
    return this.add({ p: 'harness', type: 'ok', f: 'state', group, streams });
  }
  state(group: string, stream: string, version: number, digest?: string): this {
    return this.add({
      p: 'harness',
      type: 'ok',
      f: 'state',
      group,
      stream,
      version,
      ...(digest !== undefined && { digest }),
    });
  }
}

export const esHistory = () => new EsHistoryBuilder();
