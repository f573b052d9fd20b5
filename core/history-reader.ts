import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { HistoryFormatError } from './errors.ts';
import { LineScanner } from './event-scanner.ts';
import { LineError, plainMessageValues, validateEvent } from './event-validation.ts';
import { HISTORY_VERSION, type HistoryEvent, type HistoryMeta, MESSAGE_OPERATIONS } from './events.ts';

export { validateEvent } from './event-validation.ts';

export interface ReadSummary {
  meta: HistoryMeta | undefined;
  eventCount: number;
  /** The file ended in a partial line (the writer was killed mid-line); that line was skipped. */
  truncated: boolean;
}

function parseMeta(value: Record<string, unknown>, file: string): HistoryMeta {
  if (value.version !== undefined && value.version !== HISTORY_VERSION) {
    throw new HistoryFormatError(
      `history format version ${JSON.stringify(value.version)} is not supported (this brokerproof reads version ${HISTORY_VERSION})`,
      { file, line: 1, hint: 'Check the history with the brokerproof version that wrote it.' },
    );
  }
  if (
    value.groups !== undefined &&
    !(Array.isArray(value.groups) && value.groups.every((g) => typeof g === 'string'))
  ) {
    throw new HistoryFormatError('"groups" in the meta line must be a list of strings', { file, line: 1 });
  }
  return value as HistoryMeta;
}

/**
 * Parses a history line by line, keeping the line number, the order of `i` and the meta line. Plain
 * lines go through the scanner, the rest through JSON.parse; both are validated by `validateEvent`.
 */
class LineParser {
  lineNumber = 0;
  meta: HistoryMeta | undefined;
  private previousIndex = -1;
  readonly scanner = new LineScanner();
  private bytes: Buffer = Buffer.alloc(0);

  /** `transient`: a message event returned may be the parser's own record, overwritten by the next line. */
  constructor(
    private readonly file: string,
    private readonly transient: boolean,
  ) {}

  /** The chunk the next `parse` calls read: whole lines, the last one ending in a newline. */
  setChunk(bytes: Buffer): void {
    this.bytes = bytes;
    this.scanner.setBytes(bytes);
  }

  /** The event on `[start, end)` of the chunk (`end` at its newline), or undefined for a blank or meta line. */
  parse(start: number, end: number): HistoryEvent | undefined {
    this.lineNumber++;
    if (end > start && this.bytes[end - 1] === 13) end--;
    if (this.lineNumber > 1 && this.scanner.scan(start, end)) return this.scanned();
    return this.parseSlowly(this.bytes.toString('utf8', start, end));
  }

  /** The next line, which the scanner has just read into its record (`LineScanner.matchNext`). */
  matched(): HistoryEvent {
    this.lineNumber++;
    return this.scanned();
  }

  private scanned(): HistoryEvent {
    const scanned = this.scanner.event;
    if (this.scanner.known && plainMessageValues(scanned, this.previousIndex)) {
      this.previousIndex = scanned.i as number;
      return (this.transient ? scanned : scanned.copy()) as unknown as HistoryEvent;
    }
    const event = this.validate(scanned);
    return this.transient && MESSAGE_OPERATIONS.has(event.f)
      ? event
      : (scanned.copy() as unknown as HistoryEvent);
  }

  private parseSlowly(line: string): HistoryEvent | undefined {
    if (line.length === 0 || (line.length < 3 && line.trim() === '')) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new HistoryFormatError(`malformed JSON: ${(cause as Error).message}`, {
        file: this.file,
        line: this.lineNumber,
        cause,
      });
    }
    if (
      this.lineNumber === 1 &&
      typeof value === 'object' &&
      value !== null &&
      (value as { type?: unknown }).type === 'meta'
    ) {
      this.meta = parseMeta(value as Record<string, unknown>, this.file);
      return undefined;
    }
    return this.validate(value);
  }

  private validate(value: unknown): HistoryEvent {
    try {
      const event = validateEvent(value, this.previousIndex);
      this.previousIndex = event.i;
      return event;
    } catch (cause) {
      if (cause instanceof LineError) {
        throw new HistoryFormatError(cause.message, { file: this.file, line: this.lineNumber });
      }
      throw cause;
    }
  }
}

/** A chunk of history bytes; `[0, end)` are whole lines, the last one ending in a newline. */
interface Chunk {
  bytes: Buffer;
  end: number;
}

/**
 * A history in chunks that end on a newline; returns the bytes after the last newline (a last line
 * without one). The scanner reads the bytes themselves (only ASCII lines: a byte ≥ 0x80 makes it
 * give up), and the slow path decodes its line as UTF-8. A newline byte never occurs inside a
 * UTF-8 sequence.
 */
async function* chunksOfLines(file: string, chunkBytes: number | undefined): AsyncGenerator<Chunk, Buffer> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
  } catch (cause) {
    throw new HistoryFormatError(`cannot read history file: ${(cause as Error).message}`, {
      file,
      cause,
      hint: 'Pass the path of a history .ndjson file (brokerproof run writes them under brokerproof-report/histories/).',
    });
  }
  let rest: Buffer = Buffer.alloc(0);
  for await (const read of createReadStream(file, { highWaterMark: chunkBytes ?? 1 << 20 })) {
    let chunk = read as Buffer;
    if (rest.length > 0) {
      // Only the line that spans two reads is copied: the rest of the chunk is read in place.
      const first = chunk.indexOf(10);
      if (first < 0) {
        rest = Buffer.concat([rest, chunk]);
        continue;
      }
      const line = Buffer.concat([rest, chunk.subarray(0, first + 1)]);
      rest = Buffer.alloc(0);
      yield { bytes: line, end: line.length };
      chunk = chunk.subarray(first + 1);
    }
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      rest = chunk;
      continue;
    }
    rest = chunk.subarray(last + 1);
    yield { bytes: chunk, end: last + 1 };
  }
  return rest;
}

/**
 * Streams a history file to `visit`, event by event, and returns the summary when the file ends.
 * With `transient`, a message event handed to `visit` is valid only during that call (the fast
 * path reuses one record): for a consumer that folds events into its own state, like the checker.
 * A malformed line throws `HistoryFormatError` with its line number; a partial last line (a writer
 * killed mid-write) is skipped and reported as `truncated`.
 */
export async function forEachHistoryEvent(
  file: string,
  visit: (event: HistoryEvent) => void,
  options: { transient?: boolean; chunkBytes?: number } = {},
): Promise<ReadSummary> {
  const parser = new LineParser(file, options.transient === true);
  let eventCount = 0;
  const chunks = chunksOfLines(file, options.chunkBytes);
  for (;;) {
    const next = await chunks.next();
    if (next.done) {
      const { truncated, event } = parseLastLine(parser, next.value);
      if (event) {
        eventCount++;
        visit(event);
      }
      return { meta: parser.meta, eventCount, truncated };
    }
    eventCount += parseLines(parser, next.value, visit);
  }
}

/** Parses every whole line of a chunk, handing each event to `visit`. */
function parseLines(parser: LineParser, chunk: Chunk, visit: (event: HistoryEvent) => void): number {
  const { bytes, end } = chunk;
  parser.setChunk(bytes);
  const scanner = parser.scanner;
  let count = 0;
  let start = 0;
  while (start < end) {
    let event: HistoryEvent | undefined;
    // A line of a learnt shape is read in one go, its end found on the way; any other is looked at
    // from its newline on.
    const matched = scanner.matchNext(start);
    if (matched >= 0) {
      event = parser.matched();
      start = matched + (bytes[matched] === 13 ? 2 : 1);
    } else {
      const nl = bytes.indexOf(10, start);
      event = parser.parse(start, nl);
      start = nl + 1;
    }
    if (event) {
      count++;
      visit(event);
    }
  }
  return count;
}

/** A last line without a newline: whole if it parses, otherwise a write cut off by a crash. */
function parseLastLine(parser: LineParser, bytes: Buffer): { truncated: boolean; event?: HistoryEvent } {
  if (bytes.toString('utf8').trim().length === 0) return { truncated: false };
  // The scanner's loops stop at a newline: the line gets one.
  parser.setChunk(Buffer.concat([bytes, Buffer.from('\n')]));
  try {
    const event = parser.parse(0, bytes.length);
    return event ? { truncated: false, event } : { truncated: false };
  } catch (error) {
    if (!(error instanceof HistoryFormatError) || !/malformed JSON/.test(error.message)) throw error;
    return { truncated: true };
  }
}

/**
 * Streams a history file in batches of validated events (a batch per chunk read keeps per-event
 * overhead low on histories of millions of events). The summary is returned when the stream ends.
 * Errors as `forEachHistoryEvent`.
 */
export async function* readHistoryBatches(
  file: string,
  options: { chunkBytes?: number } = {},
): AsyncGenerator<HistoryEvent[], ReadSummary> {
  const parser = new LineParser(file, false);
  let eventCount = 0;
  const chunks = chunksOfLines(file, options.chunkBytes);
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done) {
        const { truncated, event } = parseLastLine(parser, next.value);
        if (event) {
          eventCount++;
          yield [event];
        }
        return { meta: parser.meta, eventCount, truncated };
      }
      const batch: HistoryEvent[] = [];
      eventCount += parseLines(parser, next.value, (event) => batch.push(event));
      if (batch.length > 0) yield batch;
    }
  } finally {
    // A reader that stops early (return()) closes the file rather than leaving it open, paused.
    await chunks.return(Buffer.alloc(0));
  }
}

/** Reads a whole history into memory (small histories: tests, reports). */
export async function readHistory(file: string): Promise<ReadSummary & { events: HistoryEvent[] }> {
  const events: HistoryEvent[] = [];
  const iterator = readHistoryBatches(file);
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { ...next.value, events };
    for (const e of next.value) events.push(e);
  }
}
