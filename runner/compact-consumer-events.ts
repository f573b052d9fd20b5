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
 * building the JSON cost the worker about as much again.
 *
 * A line is tab-separated: an operation letter, the consumer's number (declared once by a control
 * line with its name and group), the case time, then the call's arguments:
 *   D k t id dest partition offset redelivered deliveryCount   deliver
 *   S k t type f id                                            process, or an ack invoke
 *   A k t type id error                                        an ack's outcome
 * An empty field is an argument left out (undefined); an offset that is a string starts with `'`;
 * booleans are 1 and 0. A call whose strings JSON would escape (a tab or a newline among them), or
 * whose numbers JSON cannot write plainly, is recorded as a JSON event line instead, as are empty
 * strings (an empty field means "left out").
 */

const DELIVER = 68; // D
const SIMPLE = 83; // S
const ACK_OUTCOME = 65; // A
const TAB = 9;
const QUOTE = 39; // '

/** Where the worker's compact lines go, in order with its other lines. */
export interface CompactLineSink {
  readonly clock: Pick<CaseClock, 'nowMicros'>;
  line(text: string): void;
}

const plain = (s: string) => s.length > 0 && isPlainJsonString(s);
const plainNumber = (n: number | undefined) => n === undefined || (Number.isFinite(n) && !Object.is(n, -0));

/** The worker's side: each call as one line, or as a JSON event when it cannot be one. */
export class CompactConsumerEvents implements ConsumerEvents {
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
      !plain(dest) ||
      !plainNumber(partition) ||
      !plainNumber(deliveryCount) ||
      !wholeTime(t)
    ) {
      this.fallback.deliver(id, dest, partition, offset, redelivered, deliveryCount);
      return;
    }
    const flag = redelivered === undefined ? '' : redelivered ? '1' : '0';
    this.sink.line(
      `D\t${this.k}\t${t}\t${id}\t${dest}\t${partition ?? ''}\t${offsetText}\t${flag}\t${deliveryCount ?? ''}`,
    );
  }

  simple(type: 'ok' | 'invoke', f: 'process' | 'ack', id: string): void {
    const t = this.sink.clock.nowMicros();
    if (!plain(id) || !wholeTime(t)) this.fallback.simple(type, f, id);
    else this.sink.line(`S\t${this.k}\t${t}\t${type}\t${f}\t${id}`);
  }

  ackOutcome(type: 'ok' | 'fail' | 'info', id: string, error: string | undefined): void {
    const t = this.sink.clock.nowMicros();
    if (!plain(id) || (error !== undefined && !plain(error)) || !wholeTime(t))
      this.fallback.ackOutcome(type, id, error);
    else this.sink.line(`A\t${this.k}\t${t}\t${type}\t${id}\t${error ?? ''}`);
  }
}

/** A time the line can carry: whole microseconds, at most 15 digits. */
const wholeTime = (t: number) => Number.isInteger(t) && t >= 0 && t < 1e15;

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

/**
 * The runner's side: rebuilds each call's event and JSON with the consumer's own writer and hands
 * them on, stamped with the time the worker recorded.
 */
export class CompactConsumerDecoder {
  private readonly writers: ConsumerRecorder[] = [];
  private t = 0;
  private lastDest = '';

  constructor(private readonly push: (t: number, event: EventInput, json: string | undefined) => void) {}

  /** A control line's declaration; false when it is not one this decoder can use. */
  declare(control: Readonly<Record<string, unknown>>): boolean {
    const { k, p, group } = control;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || typeof p !== 'string') return false;
    if (group !== undefined && typeof group !== 'string') return false;
    const recorder = { record: (event: EventInput, json?: string) => this.push(this.t, event, json) };
    this.writers[k] = new ConsumerRecorder(recorder, p, group);
    return true;
  }

  /** Rebuilds the line's event; false when the line is not a whole compact line of a declared consumer. */
  decode(line: string): boolean {
    // Read field by field (String.split cost more than the rest of the decoding together).
    const op = line.charCodeAt(0);
    if (line.charCodeAt(1) !== TAB) return false;
    let at = 2;
    let end = line.indexOf('\t', at);
    if (end < 0) return false;
    const writer = this.writers[digits(line, at, end)];
    at = end + 1;
    end = line.indexOf('\t', at);
    if (end < 0 || writer === undefined) return false;
    const t = digits(line, at, end);
    if (Number.isNaN(t)) return false;
    at = end + 1;
    this.t = t;
    switch (op) {
      case DELIVER: {
        const fields = line.slice(at).split('\t');
        if (fields.length !== 6) return false;
        const [id, dest, partitionText, offsetText, flag, countText] = fields as [
          string,
          string,
          string,
          string,
          string,
          string,
        ];
        const partition = optionalNumber(partitionText);
        const offset = offsetText.charCodeAt(0) === QUOTE ? offsetText.slice(1) : optionalNumber(offsetText);
        const count = optionalNumber(countText);
        const redelivered = flag === '1' ? true : flag === '0' ? false : undefined;
        if (
          id === '' ||
          dest === '' ||
          Number.isNaN(partition) ||
          Number.isNaN(offset) ||
          Number.isNaN(count)
        )
          return false;
        if (redelivered === undefined && flag !== '') return false;
        writer.deliver(id, this.sameDest(dest), partition, offset, redelivered, count);
        return true;
      }
      case SIMPLE: {
        let type: 'ok' | 'invoke';
        if (line.startsWith('ok\t', at)) type = 'ok';
        else if (line.startsWith('invoke\t', at)) type = 'invoke';
        else return false;
        at += type.length + 1;
        let f: 'process' | 'ack';
        if (line.startsWith('process\t', at)) f = 'process';
        else if (line.startsWith('ack\t', at)) f = 'ack';
        else return false;
        at += f.length + 1;
        if (at >= line.length || line.indexOf('\t', at) >= 0) return false;
        writer.simple(type, f, line.slice(at));
        return true;
      }
      case ACK_OUTCOME: {
        end = line.indexOf('\t', at);
        if (end < 0) return false;
        const type = line.slice(at, end);
        if (type !== 'ok' && type !== 'fail' && type !== 'info') return false;
        at = end + 1;
        end = line.indexOf('\t', at);
        if (end <= at || line.indexOf('\t', end + 1) >= 0) return false;
        writer.ackOutcome(
          type,
          line.slice(at, end),
          end + 1 === line.length ? undefined : line.slice(end + 1),
        );
        return true;
      }
      default:
        return false;
    }
  }

  /** The destination string of the last delivery when it is the same (one string, not one a message). */
  private sameDest(dest: string): string {
    if (dest !== this.lastDest) this.lastDest = dest;
    return this.lastDest;
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

/** A number field: undefined when empty, NaN when it is not a number. */
function optionalNumber(text: string): number | undefined {
  return text === '' ? undefined : Number(text);
}
