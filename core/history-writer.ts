import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CaseClock, sleep } from './clock.ts';
import { eventJson } from './event-json.ts';
import { EventMerge, type MergeSource } from './event-merge.ts';
import type { EventInput, HistoryEvent, HistoryMeta } from './events.ts';

export interface HistoryWriterOptions {
  /** Flush when this many bytes are buffered. */
  flushBytes?: number;
  /** Flush at least this often while events arrive. */
  flushIntervalMs?: number;
}

/**
 * Streams a history to an NDJSON file as the case runs. Lines are buffered and written in batches
 * (by size and by time), and every open writer is flushed synchronously when the process exits or is
 * interrupted, so a crash or Ctrl-C leaves a readable file that ends on a whole line.
 */
export class HistoryWriter implements Disposable {
  private readonly fd: number;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly flushBytes: number;
  private readonly flushIntervalMs: number;

  constructor(
    readonly path: string,
    meta?: HistoryMeta,
    options: HistoryWriterOptions = {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w');
    this.flushBytes = options.flushBytes ?? 64 * 1024;
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    openWriters.add(this);
    if (meta) this.writeLine(JSON.stringify(meta));
  }

  append(event: HistoryEvent): void {
    this.writeLine(JSON.stringify(event));
  }

  /** An event already serialised (the history puts `i` and `t` first without copying the event). */
  appendLine(line: string): void {
    this.writeLine(line);
  }

  private writeLine(line: string): void {
    if (this.closed) throw new Error(`history ${this.path} is closed`);
    this.buffer.push(line, '\n');
    this.bufferedBytes += line.length + 1;
    if (this.bufferedBytes >= this.flushBytes) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buffer.length === 0 || this.closed) return;
    const chunk = this.buffer.join('');
    this.buffer = [];
    this.bufferedBytes = 0;
    writeSync(this.fd, chunk);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    openWriters.delete(this);
    closeSync(this.fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Writers still open; flushed when the process exits or is interrupted, so no recorded event is lost
 * to a Ctrl-C. (A SIGKILL of this process can lose at most the last flush interval.)
 */
const openWriters = new Set<HistoryWriter>();

function flushOpenWriters(): void {
  for (const writer of openWriters) {
    try {
      writer.flush();
    } catch {
      // the process is ending; nothing better to do
    }
  }
}

/**
 * On SIGINT/SIGTERM: flush, then, if nobody else handles the signal, end the process as the signal
 * would have (a listener of our own must not keep a process alive that was asked to stop).
 */
function onSignal(signal: NodeJS.Signals): void {
  flushOpenWriters();
  if (process.listenerCount(signal) === 1) {
    process.off(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

process.on('exit', flushOpenWriters);
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

export type EventListener = (event: HistoryEvent) => void;

/**
 * The one place a case's events are born: assigns `i` (file order) and `t` (µs since the case
 * started, never decreasing), hands each event to the sink and to listeners (progress, live stats).
 * Events from worker processes come in through sources and are merged by time with this process's.
 */
export class History {
  private nextIndex = 0;
  private lastT = 0;
  private readonly listeners: EventListener[] = [];
  private readonly merge: EventMerge;

  constructor(
    private readonly sink: { append(event: HistoryEvent): void; appendLine?(line: string): void },
    readonly clock: CaseClock = new CaseClock(),
  ) {
    this.merge = new EventMerge(
      (input, t, json) => this.emit(input, t, json),
      () => clock.nowMicros(),
    );
  }

  /** Record an event of this process, now (`json`: its JSON, built by a typed writer). */
  record(input: EventInput, json?: string): void {
    this.merge.pushLocal(this.clock.nowMicros(), input, json);
  }

  /** A source for a worker process's events (stamped with the same case clock there). */
  openSource(): MergeSource {
    return this.merge.open();
  }

  /** Writes out every event still held for ordering (before the history is read back). */
  flush(): void {
    this.merge.flush();
  }

  /**
   * Waits until every worker source has caught up with now (their events stamped before now have
   * arrived), at most `timeoutMs`, then releases everything held: the history on disk is then
   * complete up to this moment.
   */
  async settle(timeoutMs = 2000): Promise<void> {
    const now = this.clock.nowMicros();
    const deadline = Date.now() + timeoutMs;
    while (!this.merge.caughtUp(now) && Date.now() < deadline) await sleep(5);
    this.merge.flush();
  }

  private emit(input: EventInput, t: number, json: string | undefined): void {
    if (t > this.lastT) this.lastT = t;
    const i = this.nextIndex++;
    // Hot path (every send, delivery and ack): serialise once with i and t first, then stamp the
    // caller's fresh object in place instead of copying it.
    const body = json ?? eventJson(input);
    const line =
      body.length > 2 ? `{"i":${i},"t":${this.lastT},${body.slice(1)}` : `{"i":${i},"t":${this.lastT}}`;
    const event = input as unknown as HistoryEvent;
    event.i = i;
    event.t = this.lastT;
    if (this.sink.appendLine) this.sink.appendLine(line);
    else this.sink.append(event);
    for (const listener of this.listeners) listener(event);
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /** Events written so far. */
  get size(): number {
    return this.nextIndex;
  }
}

/** A sink that keeps events in memory (tests, selftest). */
export class MemorySink {
  readonly events: HistoryEvent[] = [];
  append(event: HistoryEvent): void {
    this.events.push(event);
  }
}
