import { jsonString } from './event-json.ts';
import type { EventInput } from './events.ts';
import type { ConsumerEvents, Recorder } from './recorder.ts';

/**
 * The writer for a consumer's per-message events: the recorder's own when it carries them more
 * cheaply than as events (a worker's pipe, runner/compact-consumer-events.ts), else one that builds
 * each event and its JSON.
 */
export function consumerEventsFor(recorder: Recorder, p: string, group: string | undefined): ConsumerEvents {
  return recorder.consumerEvents?.(p, group) ?? new ConsumerRecorder(recorder, p, group);
}

/**
 * Typed writers for the events a client records for every message (send, deliver, process, ack):
 * each builds the event and, in the same pass and the same key order, its JSON, and records both
 * (the history writes the JSON as it is). The client's name and group are
 * serialised once per client, not once per event; a generic serialiser would walk the keys and
 * escape-check every string of every event. The JSON is exactly JSON.stringify's (a test draws
 * values to hold them to it); a value JSON cannot write as a plain number (NaN, Infinity) leaves
 * the event without a line, and it is serialised the generic way.
 */
export class ConsumerRecorder implements ConsumerEvents {
  private readonly head: string;
  private readonly groupJson: string;

  constructor(
    private readonly recorder: Recorder,
    readonly p: string,
    readonly group: string | undefined,
  ) {
    this.head = `{"p":${jsonString(p)},"type":`;
    this.groupJson = group === undefined ? '' : `,"group":${jsonString(group)}`;
  }

  deliver(
    id: string,
    dest: string,
    partition: number | undefined,
    offset: string | number | undefined,
    redelivered: boolean | undefined,
    deliveryCount: number | undefined,
  ): void {
    const e: Record<string, unknown> = { p: this.p, type: 'ok', f: 'deliver', id, group: this.group, dest };
    let line = withPosition(
      e,
      `${this.head}"ok","f":"deliver","id":${jsonString(id)}${this.groupJson},"dest":${jsonString(dest)}`,
      partition,
      offset,
    );
    if (redelivered !== undefined) {
      e.redelivered = redelivered;
      if (line !== undefined) line += `,"redelivered":${redelivered}`;
    }
    if (deliveryCount !== undefined) {
      e.deliveryCount = deliveryCount;
      line =
        line !== undefined && Number.isFinite(deliveryCount)
          ? `${line},"deliveryCount":${deliveryCount}`
          : undefined;
    }
    this.recorder.record(e as EventInput, line !== undefined ? `${line}}` : undefined);
  }

  /** `process`, or an `ack` invoke: the fields every consumer event starts with. */
  simple(type: 'ok' | 'invoke', f: 'process' | 'ack', id: string): void {
    const e: Record<string, unknown> = { p: this.p, type, f, id, group: this.group };
    this.recorder.record(
      e as EventInput,
      `${this.head}"${type}","f":"${f}","id":${jsonString(id)}${this.groupJson}}`,
    );
  }

  /** An ack's outcome: `ok` with nothing else, or `fail`/`info` with the error (if any). */
  ackOutcome(type: 'ok' | 'fail' | 'info', id: string, error: string | undefined): void {
    const e: Record<string, unknown> = { p: this.p, type, f: 'ack', id, group: this.group };
    let line = `${this.head}"${type}","f":"ack","id":${jsonString(id)}${this.groupJson}`;
    if (error !== undefined) {
      e.error = error;
      line += `,"error":${jsonString(error)}`;
    }
    this.recorder.record(e as EventInput, `${line}}`);
  }
}

/** A producer's per-message events: the send's invoke and its outcome. */
export class ProducerRecorder {
  private readonly head: string;

  constructor(
    private readonly recorder: Recorder,
    readonly p: string,
  ) {
    this.head = `{"p":${jsonString(p)},"type":`;
  }

  sendInvoke(id: string, dest: string, key: string | undefined, poison: boolean): void {
    const e: Record<string, unknown> = { p: this.p, type: 'invoke', f: 'send', id, dest };
    let line = `${this.head}"invoke","f":"send","id":${jsonString(id)},"dest":${jsonString(dest)}`;
    if (key !== undefined) {
      e.key = key;
      line += `,"key":${jsonString(key)}`;
    }
    if (poison) {
      e.poison = true;
      line += ',"poison":true';
    }
    this.recorder.record(e as EventInput, `${line}}`);
  }

  sendOk(id: string, partition: number | undefined, offset: string | number | undefined): void {
    const e: Record<string, unknown> = { p: this.p, type: 'ok', f: 'send', id };
    const line = withPosition(e, `${this.head}"ok","f":"send","id":${jsonString(id)}`, partition, offset);
    this.recorder.record(e as EventInput, line !== undefined ? `${line}}` : undefined);
  }

  sendFailed(type: 'fail' | 'info', id: string, error: string | undefined): void {
    const e: Record<string, unknown> = { p: this.p, type, f: 'send', id, error };
    const tail = error === undefined ? '' : `,"error":${jsonString(error)}`;
    this.recorder.record(e as EventInput, `${this.head}"${type}","f":"send","id":${jsonString(id)}${tail}}`);
  }
}

/**
 * Adds a broker position (partition, offset) to an event and to its line so far; undefined when a
 * number in it is one JSON cannot write plainly (the event then goes to the generic serialiser).
 */
function withPosition(
  e: Record<string, unknown>,
  line: string,
  partition: number | undefined,
  offset: string | number | undefined,
): string | undefined {
  let out: string | undefined = line;
  if (partition !== undefined) {
    e.partition = partition;
    out = Number.isFinite(partition) ? `${out},"partition":${partition}` : undefined;
  }
  if (offset !== undefined) {
    e.offset = offset;
    if (out === undefined) return undefined;
    if (typeof offset === 'string') out += `,"offset":${jsonString(offset)}`;
    else out = Number.isFinite(offset) ? `${out},"offset":${offset}` : undefined;
  }
  return out;
}
