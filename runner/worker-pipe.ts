import { type ChildProcess, spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CaseClock } from '../core/clock.ts';
import type { EventInput } from '../core/events.ts';
import type { History } from '../core/history-writer.ts';
import type { Recorder } from './recorder.ts';

/**
 * Producers and consumers may run in processes of their own, so that a crash is a real SIGKILL.
 * A worker records by writing one line per event to its stdout: `[t, event]`, stamped with the
 * case clock (same epoch as the runner's). Each line is written with a blocking write straight to
 * the file descriptor (stream writes would queue in memory once the pipe is full), so an event is in
 * the kernel's pipe buffer before `record` returns and survives a SIGKILL that comes after. The
 * runner reads the lines and appends them to the one case history.
 */
export class PipeRecorder implements Recorder {
  constructor(
    private readonly clock: CaseClock,
    private readonly fd: number = 1,
  ) {}

  record(event: EventInput): void {
    writeFully(this.fd, Buffer.from(`${JSON.stringify([this.clock.nowMicros(), event])}\n`));
  }

  /** A message for the runner that is not an event (e.g. "ready"). */
  control(message: string): void {
    writeFully(this.fd, Buffer.from(`${JSON.stringify({ control: message })}\n`));
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

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
 * Appends a worker's events to the history as they arrive; resolves when the worker's stdout closes
 * (it exited or was killed). A line cut short by the kill is ignored; earlier lines are all kept.
 */
export function collectWorkerEvents(
  child: ChildProcess,
  history: History,
  options: { onControl?: (message: string) => void; onBadLine?: (line: string) => void } = {},
): Promise<void> {
  const { onControl, onBadLine } = options;
  if (!child.stdout) throw new Error('worker was spawned without a stdout pipe');
  const lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => {
    if (line.length === 0) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      onBadLine?.(line);
      return;
    }
    if (parsed && typeof (parsed as { control?: unknown }).control === 'string') {
      onControl?.((parsed as { control: string }).control);
      return;
    }
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'number' || typeof parsed[1] !== 'object') {
      onBadLine?.(line);
      return;
    }
    history.recordAt(parsed[1] as EventInput, parsed[0]);
  });
  return new Promise((resolve) => lines.once('close', () => resolve()));
}

/**
 * Starts a worker module in a new Node process. TypeScript sources (tests, `npx brokerproof`) run
 * through tsx, as the runner itself does.
 */
export function spawnWorker(
  moduleUrl: URL,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; stderr?: 'inherit' | 'pipe' } = {},
): ChildProcess {
  const file = fileURLToPath(moduleUrl);
  // Resolved from here, not from the working directory (a user's project need not have tsx).
  const loader = file.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  return spawn(process.execPath, [...loader, file, ...args], {
    stdio: ['ignore', 'pipe', options.stderr ?? 'inherit'],
    env: { ...process.env, ...options.env },
  });
}
