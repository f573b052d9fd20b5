import { type ChildProcess, spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConsumerRecorder } from '../core/client-events.ts';
import type { CaseClock } from '../core/clock.ts';
import { eventJson } from '../core/event-json.ts';
import type { EventInput } from '../core/events.ts';
import type { History } from '../core/history-writer.ts';
import type { ConsumerEvents, Recorder } from '../core/recorder.ts';
import { CompactConsumerDecoder, CompactConsumerEvents, declaration } from './compact-consumer-events.ts';

/**
 * Producers and consumers may run in processes of their own, so that a crash is a real SIGKILL.
 * A worker records by writing one line per event to its stdout: `[t, event]`, stamped with the
 * case clock (same epoch as the runner's); a consumer's per-message events go as compact lines,
 * the typed writer's arguments, which the runner turns into the same events and JSON
 * (runner/compact-consumer-events.ts). Lines are collected and written together with the
 * heartbeat, every `heartbeatMs` (or sooner, past `batchChars`), straight to the file descriptor.
 * A write per event cost the consumer about 4 µs, more than everything else it records; a write
 * per turn of the event loop was still one per message for a consumer that takes one message at a
 * time (Kafka committing each record), and each such write also wakes the runner. Stream writes
 * would queue in memory once the pipe is full; a blocking write does not.
 *
 * What a SIGKILL can cost: a planned crash flushes first (`flush()`, then the kill), so every event
 * recorded before it reaches the runner; so does an exit. Only a SIGKILL from outside the worker
 * (the runner's, when a case is interrupted or a worker ignores SIGTERM) can take the events of the
 * last `heartbeatMs` with it.
 *
 * The heartbeat `{"control":"tick","t":…}` tells the runner how far this worker's clock got, so the
 * runner can merge every process's events in time order (core/event-merge.ts); it is written after
 * the events recorded before it, never ahead of them.
 */
export class PipeRecorder implements Recorder {
  readonly clock: CaseClock;
  private readonly fd: number;
  private readonly batchChars: number;
  private readonly compact: boolean;
  private readonly heartbeat: NodeJS.Timeout;
  private pending = '';
  private consumers = 0;
  private readonly flushAtExit = () => this.flush();

  constructor(clock: CaseClock, options: PipeRecorderOptions = {}) {
    this.clock = clock;
    this.fd = options.fd ?? 1;
    this.batchChars = options.batchChars ?? 64 * 1024;
    this.compact = options.compactConsumerEvents ?? true;
    this.heartbeat = setInterval(() => this.control('tick'), options.heartbeatMs ?? 10);
    this.heartbeat.unref();
    process.on('exit', this.flushAtExit);
  }

  /** A consumer's per-message events as compact lines (runner/compact-consumer-events.ts). */
  consumerEvents(p: string, group: string | undefined): ConsumerEvents {
    const json = new ConsumerRecorder(this, p, group);
    if (!this.compact) return json;
    const k = this.consumers++;
    this.pending += `${declaration(k, p, group)}\n`;
    return new CompactConsumerEvents(this, k, json);
  }

  /** A line of the worker's own (a compact event), in order with the events recorded. */
  line(text: string): void {
    this.pending += `${text}\n`;
    if (this.pending.length >= this.batchChars) this.flush();
  }

  record(event: EventInput, json?: string): void {
    const t = this.clock.nowMicros();
    this.pending += `[${Number.isFinite(t) ? t : null},${json ?? eventJson(event)}]\n`;
    if (this.pending.length >= this.batchChars) this.flush();
  }

  /** A message for the runner that is not an event (e.g. "ready"), written at once. */
  control(message: string): void {
    this.pending += `${JSON.stringify({ control: message, t: this.clock.nowMicros() })}\n`;
    this.flush();
  }

  /** Writes every line recorded so far; they are in the pipe when it returns. */
  flush(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = '';
    writeAll(this.fd, lines);
  }

  stop(): void {
    clearInterval(this.heartbeat);
    this.flush();
    process.off('exit', this.flushAtExit);
  }
}

export interface PipeRecorderOptions {
  /** Where the lines go (default: stdout). */
  fd?: number;
  /** How often the worker tells how far its clock got, and writes what it has (default 10 ms). */
  heartbeatMs?: number;
  /** Write sooner once this many characters wait (default 64 Ki). */
  batchChars?: number;
  /** Consumers' per-message events as compact lines (default); false: as JSON event lines. */
  compactConsumerEvents?: boolean;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes lines straight from the string (no Buffer per event); only a write the pipe cut short
 * goes on from the bytes not yet written.
 */
function writeAll(fd: number, text: string): void {
  let written: number;
  try {
    written = writeSync(fd, text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    written = 0;
  }
  if (written === Buffer.byteLength(text)) return;
  writeFully(fd, Buffer.from(text).subarray(written));
}

/** writeSync until every byte is in the kernel, waiting out a full (non-blocking) pipe. */
function writeFully(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 1); // the reader is behind: give it a millisecond
    }
  }
}

/**
 * Feeds a worker's events into the history (through its merge source) as they arrive; resolves
 * when the worker's stdout closes (it exited or was killed), after closing the source. A line cut
 * short by the kill is ignored; earlier lines are all kept.
 */
export function collectWorkerEvents(
  child: ChildProcess,
  history: History,
  options: {
    onControl?: (message: string) => void;
    /** Each of this worker's events as it arrives (before the merge orders it into the history). */
    onEvent?: (event: EventInput) => void;
    onBadLine?: (line: string) => void;
  } = {},
): Promise<void> {
  const { onControl, onEvent, onBadLine } = options;
  if (!child.stdout) throw new Error('worker was spawned without a stdout pipe');
  const source = history.openSource();
  const compact = new CompactConsumerDecoder((t, event, json) => {
    source.push(t, event, json);
    onEvent?.(event);
  });
  const onJson = (line: string) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      onBadLine?.(line);
      return;
    }
    if (Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'object') {
      source.push(parsed[0], parsed[1] as EventInput, parsed.length === 2 ? eventText(line) : undefined);
      onEvent?.(parsed[1] as EventInput);
      return;
    }
    const control = parsed as Record<string, unknown> | null;
    if (control && control.control === 'consumer') {
      if (!compact.declare(control)) onBadLine?.(line);
    } else if (control && typeof control.control === 'string') {
      if (typeof control.t === 'number') source.advance(control.t);
      if (control.control !== 'tick') onControl?.(control.control);
    } else onBadLine?.(line);
  };
  /** `whole`: the line ended with its newline (a compact line cut short can still look whole). */
  const onLine = (line: string, whole = true) => {
    if (line.length === 0) return;
    const first = line.charCodeAt(0);
    if (first === 91 /* [ */ || first === 123 /* { */) onJson(line);
    else if (!whole || !compact.decode(line)) onBadLine?.(line);
  };
  // Split by hand: readline costs the runner more per line than the JSON.parse of it.
  const stdout = child.stdout;
  stdout.setEncoding('utf8'); // a character cut between two chunks is joined again
  let partial = '';
  stdout.on('data', (chunk: string) => {
    const text = partial.length > 0 ? partial + chunk : chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      onLine(text.slice(start, end));
      start = end + 1;
    }
    partial = start < text.length ? text.slice(start) : '';
  });
  return new Promise((resolve) =>
    stdout.once('close', () => {
      // A last line without its newline was cut short by the kill: unreadable unless it is whole
      // JSON (a cut compact line is never taken).
      onLine(partial, false);
      partial = '';
      source.close();
      resolve();
    }),
  );
}

/**
 * The event's JSON inside a worker's `[t,{…}]` line (PipeRecorder writes it with no spaces), so the
 * history writes it as it came instead of serialising the parsed event again; undefined when the
 * line has another layout.
 */
function eventText(line: string): string | undefined {
  const comma = line.indexOf(',');
  if (comma < 0 || line.charCodeAt(comma + 1) !== 123 /* { */) return undefined;
  if (line.charCodeAt(line.length - 1) !== 93 /* ] */ || line.charCodeAt(line.length - 2) !== 125 /* } */)
    return undefined;
  return line.slice(comma + 1, -1);
}

/**
 * Starts a worker module in a new Node process. TypeScript sources (tests, `npx brokerproof`) run
 * through tsx, as the runner itself does.
 */
export function spawnWorker(
  moduleUrl: URL,
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    stderr?: 'inherit' | 'pipe';
    typescript?: boolean;
    /** V8 options for the new process (`--max-semi-space-size=32`). */
    v8Flags?: readonly string[];
  } = {},
): ChildProcess {
  const file = fileURLToPath(moduleUrl);
  // Resolved from here, not from the working directory (a user's project need not have tsx). Also
  // for a built worker that loads TypeScript of the user's (`typescript`: a handler module).
  const loader = file.endsWith('.ts') || options.typescript ? ['--import', import.meta.resolve('tsx')] : [];
  return spawn(process.execPath, [...(options.v8Flags ?? []), ...loader, file, ...args], {
    stdio: ['ignore', 'pipe', options.stderr ?? 'inherit'],
    env: { ...process.env, ...options.env },
  });
}
