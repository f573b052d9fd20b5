import { ConsumerRecorder } from '../core/client-events.ts';
import type { CaseClock } from '../core/clock.ts';
import { isPlainJsonString } from '../core/event-json.ts';
import type { EventInput } from '../core/events.ts';
import type { ConsumerEvents } from '../core/recorder.ts';

/**
 * A consumer worker's per-message events down the pipe as the typed writer's arguments, one short
 * line each, instead of as JSON: the runner rebuilds each event and its line with the same writer
 * (core/client-events.ts), so the history holds exactly what the in-process path writes. Parsing a
 * JSON line cost the runner about 0.8 µs an event, more than everything else it does with it, and
 * building and writing the JSON cost the worker about as much again.
 *
 * A line is tab-separated: an operation letter, the consumer's number (declared once by a control
 * line with its name and group), the case time, then the call's arguments:
 *   D k t id dest partition offset redelivered deliveryCount   deliver
 *   P k t id                                                   process ok
 *   K k t id                                                   ack invoke
 *   O k t id                                                   ack ok, no error
 *   S k t type f id                                            any other simple call
 *   A k t type id error                                        any other ack outcome
 * An empty field is an argument left out (undefined), except the destination: empty, it is the
 * one of this consumer's last delivery line (the same long name on every message otherwise). An
 * offset that is a string starts with `'`; booleans are 1 and 0. A call whose strings JSON would
 * escape (a tab or a newline among them), or whose numbers JSON cannot write plainly, is recorded
 * as a JSON event line instead, as are empty strings (an empty field means "left out").
 */

const TAB = 9;
const QUOTE = 39; // '

/** Where the worker's compact lines go, in order with its other lines. */
export interface CompactLineSink {
  readonly clock: Pick<CaseClock, 'nowMicros'>;
  line(text: string): void;
}

const plain = (s: string) => s.length > 0 && isPlainJsonString(s);
const plainNumber = (n: number | undefined) => n === undefined || (Number.isFinite(n) && !Object.is(n, -0));
/** A time the line can carry: whole microseconds, at most 15 digits. */
const wholeTime = (t: number) => Number.isInteger(t) && t >= 0 && t < 1e15;

/** The worker's side: each call as one line, or as a JSON event when it cannot be one. */
export class CompactConsumerEvents implements ConsumerEvents {
  /** The destination of the last delivery line written. */
  private dest: string | undefined;

  constructor(
    private readonly sink: CompactLineSink,
    private readonly k: number,
    /** Builds the JSON event line for a call the compact line cannot carry. */
    private readonly fallback: ConsumerRecorder,
  ) {}

  deliver(
    id: string,
    dest: string,
    partition: number | undefined,
    offset: string | number | undefined,
    redelivered: boolean | undefined,
    deliveryCount: number | undefined,
  ): void {
    const t = this.sink.clock.nowMicros();
    const offsetText = offsetField(offset);
    if (
      offsetText === undefined ||
      !plain(id) ||
      (dest !== this.dest && !plain(dest)) ||
      !plainNumber(partition) ||
      !plainNumber(deliveryCount) ||
      !wholeTime(t)
    ) {
      this.fallback.deliver(id, dest, partition, offset, redelivered, deliveryCount);
      return;
    }
    const destText = dest === this.dest ? '' : dest;
    this.dest = dest;
    const flag = redelivered === undefined ? '' : redelivered ? '1' : '0';
    this.sink.line(
      `D\t${this.k}\t${t}\t${id}\t${destText}\t${partition ?? ''}\t${offsetText}\t${flag}\t${deliveryCount ?? ''}`,
    );
  }

  simple(type: 'ok' | 'invoke', f: 'process' | 'ack', id: string): void {
    const t = this.sink.clock.nowMicros();
    if (!plain(id) || !wholeTime(t)) this.fallback.simple(type, f, id);
    else if (type === 'ok' && f === 'process') this.sink.line(`P\t${this.k}\t${t}\t${id}`);
    else if (type === 'invoke' && f === 'ack') this.sink.line(`K\t${this.k}\t${t}\t${id}`);
    else this.sink.line(`S\t${this.k}\t${t}\t${type}\t${f}\t${id}`);
  }

  ackOutcome(type: 'ok' | 'fail' | 'info', id: string, error: string | undefined): void {
    const t = this.sink.clock.nowMicros();
    if (!plain(id) || (error !== undefined && !plain(error)) || !wholeTime(t))
      this.fallback.ackOutcome(type, id, error);
    else if (type === 'ok' && error === undefined) this.sink.line(`O\t${this.k}\t${t}\t${id}`);
    else this.sink.line(`A\t${this.k}\t${t}\t${type}\t${id}\t${error ?? ''}`);
  }
}

/** The offset's field ('' when left out), or undefined when the line cannot carry it. */
function offsetField(offset: string | number | undefined): string | undefined {
  if (offset === undefined) return '';
  if (typeof offset === 'string') return plain(offset) ? `'${offset}` : undefined;
  return plainNumber(offset) ? `${offset}` : undefined;
}

/** The control line that declares consumer `k` (JSON: a name or group may hold anything). */
export function declaration(k: number, p: string, group: string | undefined): string {
  return JSON.stringify({ control: 'consumer', k, p, group });
}

interface Declared {
  writer: ConsumerRecorder;
  /** The destination of its last delivery line. */
  dest: string;
}

/**
 * The runner's side: rebuilds each call's event and JSON with the consumer's own writer and hands
 * them on, stamped with the time the worker recorded.
 */
export class CompactConsumerDecoder {
  private readonly consumers: Declared[] = [];
  private t = 0;

  constructor(private readonly push: (t: number, event: EventInput, json: string | undefined) => void) {}

  /** A control line's declaration; false when it is not one this decoder can use. */
  declare(control: Readonly<Record<string, unknown>>): boolean {
    const { k, p, group } = control;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || typeof p !== 'string') return false;
    if (group !== undefined && typeof group !== 'string') return false;
    const recorder = { record: (event: EventInput, json?: string) => this.push(this.t, event, json) };
    this.consumers[k] = { writer: new ConsumerRecorder(recorder, p, group), dest: '' };
    return true;
  }

  /** Rebuilds the line's event; false when the line is not a whole compact line of a declared consumer. */
  decode(line: string): boolean {
    // Read field by field (String.split cost more than the rest of the decoding together).
    const op = line[0];
    if (line.charCodeAt(1) !== TAB) return false;
    let end = line.indexOf('\t', 2);
    const consumer = end < 0 ? undefined : this.consumers[digits(line, 2, end)];
    if (consumer === undefined) return false;
    const at = end + 1;
    end = line.indexOf('\t', at);
    const t = end < 0 ? Number.NaN : digits(line, at, end);
    if (Number.isNaN(t)) return false;
    const rest = line.slice(end + 1);
    this.t = t;
    const { writer } = consumer;
    switch (op) {
      case 'P':
      case 'K':
      case 'O':
        if (rest === '' || rest.includes('\t')) return false;
        if (op === 'P') writer.simple('ok', 'process', rest);
        else if (op === 'K') writer.simple('invoke', 'ack', rest);
        else writer.ackOutcome('ok', rest, undefined);
        return true;
      case 'D':
        return this.deliver(consumer, rest);
      case 'S': {
        const [type, f, id, ...more] = rest.split('\t');
        if (type !== 'ok' && type !== 'invoke') return false;
        if ((f !== 'process' && f !== 'ack') || !id || more.length > 0) return false;
        writer.simple(type, f, id);
        return true;
      }
      case 'A': {
        const [type, id, error, ...more] = rest.split('\t');
        if (type !== 'ok' && type !== 'fail' && type !== 'info') return false;
        if (!id || error === undefined || more.length > 0) return false;
        writer.ackOutcome(type, id, error === '' ? undefined : error);
        return true;
      }
      default:
        return false;
    }
  }

  private deliver(consumer: Declared, rest: string): boolean {
    const fields = rest.split('\t');
    if (fields.length !== 6) return false;
    const [id, destText, partitionText, offsetText, flag, countText] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const dest = destText === '' ? consumer.dest : destText;
    const partition = optionalNumber(partitionText);
    const offset = offsetText.charCodeAt(0) === QUOTE ? offsetText.slice(1) : optionalNumber(offsetText);
    const count = optionalNumber(countText);
    const redelivered = flag === '1' ? true : flag === '0' ? false : undefined;
    if (id === '' || dest === '' || Number.isNaN(partition) || Number.isNaN(offset) || Number.isNaN(count))
      return false;
    if (redelivered === undefined && flag !== '') return false;
    consumer.dest = dest;
    consumer.writer.deliver(id, dest, partition, offset, redelivered, count);
    return true;
  }
}

/** A whole number written in decimal digits from `at` to `end`; NaN when it is not one. */
function digits(line: string, at: number, end: number): number {
  if (end <= at || end - at > 15) return Number.NaN;
  let n = 0;
  for (let i = at; i < end; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

/** A number field: undefined when empty, NaN when it is not a finite number. */
function optionalNumber(text: string): number | undefined {
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : Number.NaN;
}
