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
  private readonly scanner = new LineScanner();

  /** `transient`: a message event returned may be the parser's own record, overwritten by the next line. */
  constructor(
    private readonly file: string,
    private readonly transient: boolean,
  ) {}

  private bytes: Buffer = Buffer.alloc(0);

  /** The chunk the next `parse` calls read. */
  setChunk(chunk: Chunk): void {
    this.bytes = chunk.bytes;
    this.scanner.setText(chunk.text);
  }

  /** The event on `[start, end)` of the chunk, or undefined for a blank or meta line. */
  parse(text: string, start: number, end: number): HistoryEvent | undefined {
    this.lineNumber++;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    if (this.lineNumber > 1 && this.scanner.scan(start, end)) {
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
    return this.parseSlowly(this.bytes.toString('utf8', start, end));
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

/** A chunk of whole lines: its bytes, and the same bytes as Latin-1 text (one character a byte). */
interface Chunk {
  bytes: Buffer;
  text: string;
}

/**
 * A history in chunks that end on a newline; returns the bytes after the last newline (a last line
 * without one). The text is decoded as Latin-1, a plain copy, so a character's index is its byte's:
 * the scanner reads only ASCII lines (a byte ≥ 0x80 makes it give up), and the slow path decodes its
 * line from the bytes as UTF-8. A newline byte never occurs inside a UTF-8 sequence.
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
  // Half a megabyte: Node decodes a longer text (over about 1 MB) into an external string, whose
  // characters optimised code reads through a slower path than those of an ordinary one.
  for await (const chunk of createReadStream(file, { highWaterMark: chunkBytes ?? 1 << 19 })) {
    const bytes = rest.length > 0 ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    const last = bytes.lastIndexOf(10);
    if (last < 0) {
      rest = bytes;
      continue;
    }
    rest = bytes.subarray(last + 1);
    yield { bytes, text: bytes.toString('latin1', 0, last + 1) };
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

/** Parses every whole line of `text` (a chunk of whole lines), handing each event to `visit`. */
function parseLines(parser: LineParser, chunk: Chunk, visit: (event: HistoryEvent) => void): number {
  parser.setChunk(chunk);
  const text = chunk.text;
  let count = 0;
  let start = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
    const event = parser.parse(text, start, nl);
    start = nl + 1;
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
  const text = bytes.toString('latin1');
  parser.setChunk({ bytes, text });
  try {
    const event = parser.parse(text, 0, text.length);
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
