import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryFormatError } from '../../core/errors.ts';
import { readHistory } from '../../core/history-reader.ts';
import { History, HistoryWriter } from '../../core/history-writer.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'bp-history-'));
const write = (lines: string[]) => {
  const file = join(dir(), 'h.ndjson');
  writeFileSync(file, lines.join('\n'));
  return file;
};
const line = (e: Record<string, unknown>) => JSON.stringify(e);

describe('history writer', () => {
  it('streams events in batches and reads back exactly, meta first', async () => {
    const file = join(dir(), 'h.ndjson');
    const writer = new HistoryWriter(
      file,
      { type: 'meta', version: 1, scenario: 'x', groups: ['default'] },
      { flushBytes: 256 },
    );
    const history = new History(writer);
    for (let n = 0; n < 100; n++)
      history.record({ p: 'producer-0', type: 'invoke', f: 'send', id: `m${n}`, dest: 'q' });
    // Batches of 256 bytes were written while recording; the rest is still buffered.
    const partial = readFileSync(file, 'utf8');
    expect(partial.length).toBeGreaterThan(256);
    expect(partial.endsWith('\n')).toBe(true);
    writer.close();
    const read = await readHistory(file);
    expect(read.meta).toMatchObject({ type: 'meta', scenario: 'x' });
    expect(read.events.map((e) => e.i)).toEqual([...Array(100).keys()]);
    expect(read.truncated).toBe(false);
  });

  it('leaves a whole, readable file when the process is killed by Ctrl-C mid-run', async () => {
    const file = join(dir(), 'h.ndjson');
    const script = `
      import { History, HistoryWriter } from ${JSON.stringify(new URL('../../core/history-writer.ts', import.meta.url).href)};
      const h = new History(new HistoryWriter(${JSON.stringify(file)}));
      for (let n = 0; n < 1000; n++) h.record({ p: 'p', type: 'invoke', f: 'send', id: 'm' + n, dest: 'q' });
      process.kill(process.pid, 'SIGINT');
      setTimeout(() => {}, 10000);
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 20_000,
    });
    expect(child.signal ?? child.status).toBeTruthy();
    // Default SIGINT handling skips 'exit' hooks; the writer installs its own flush for signals.
    const read = await readHistory(file);
    expect(read.events).toHaveLength(1000);
  });
});

describe('history reader', () => {
  it('reports a malformed line with its line number and reason', async () => {
    const file = write([
      line({ type: 'meta', version: 1 }),
      line({ i: 0, t: 0, p: 'a', type: 'invoke', f: 'send', id: 'x', dest: 'q' }),
      '{"i":1,"t":1,"p":"a","type":"ok","f":"send",',
      line({ i: 2, t: 2, p: 'a', type: 'ok', f: 'send', id: 'x' }),
    ]);
    await expect(readHistory(file)).rejects.toThrow(/h\.ndjson:3: malformed JSON/);
  });

  it.each([
    [{ i: 0, t: 0, p: 'a', type: 'ok', f: 'teleport', id: 'x' }, /unknown operation "f": "teleport"/],
    [
      { i: 0, t: 0, p: 'a', type: 'invoke', f: 'deliver', id: 'x', dest: 'q' },
      /"type" of a deliver event must be ok/,
    ],
    [{ i: 0, t: 0, p: 'a', type: 'invoke', f: 'send', dest: 'q' }, /a send event needs an "id"/],
    [{ i: 0, t: 0, p: 'a', type: 'invoke', f: 'send', id: 'x' }, /a send invoke event needs a "dest"/],
    [{ i: -1, t: 0, p: 'a', type: 'ok', f: 'process', id: 'x' }, /"i" must be a non-negative integer/],
    [{ i: 0, t: 'soon', p: 'a', type: 'ok', f: 'process', id: 'x' }, /"t" must be a number/],
    [{ i: 0, t: 0, type: 'ok', f: 'process', id: 'x' }, /"p" must be a non-empty string/],
    [{ i: 0, t: 0, p: 'a', type: 'ok', f: 'effect', id: 'x' }, /needs "applied"/],
    [{ i: 0, t: 0, p: 'a', type: 'ok', f: 'phase', phase: 'lunch' }, /"phase" must be one of/],
    [
      { i: 0, t: 0, p: 'nemesis', type: 'ok', f: 'crash', target: 'c' },
      /"type" of a crash event must be info or fail/,
    ],
    [
      { i: 0, t: 0, p: 'nemesis', type: 'fail', f: 'crash', target: 'c', point: 3 },
      /"point" must be a string/,
    ],
    [
      { i: 0, t: 0, p: 'nemesis', type: 'fail', f: 'crash', target: 'c', reason: true },
      /"reason" must be a string/,
    ],
    [
      { i: 0, t: 0, p: 'nemesis', type: 'info', f: 'fault', fault: 'x', action: 'start', target: 't' },
      /"type" of a fault event must be invoke or ok or fail/,
    ],
    [
      {
        i: 0,
        t: 0,
        p: 'nemesis',
        type: 'fail',
        f: 'fault',
        fault: 'x',
        action: 'start',
        target: 't',
        reason: 1,
      },
      /"reason" must be a string/,
    ],
    [[1, 2], /expected a JSON object/],
  ])('rejects %j', async (event, message) => {
    const file = write([line(event as Record<string, unknown>)]);
    const error = await readHistory(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryFormatError);
    expect((error as HistoryFormatError).line).toBe(1);
    expect((error as Error).message).toMatch(message);
  });

  it('reads crashes that fired (info) or never fired (fail), and cancelled faults, with point and reason', async () => {
    const events = [
      { i: 0, t: 0, p: 'nemesis', type: 'info', f: 'crash', target: 'consumer-0', point: 'before-ack' },
      { i: 1, t: 1, p: 'nemesis', type: 'fail', f: 'crash', target: 'consumer-1', reason: 'cancelled' },
      { i: 2, t: 2, p: 'nemesis', type: 'info', f: 'crash', target: 'consumer-2' },
      {
        i: 3,
        t: 3,
        p: 'nemesis',
        type: 'fail',
        f: 'fault',
        fault: 'partition',
        action: 'start',
        target: 'toxiproxy:nats',
        params: {},
        reason: 'cancelled',
      },
    ];
    const read = await readHistory(write(events.map(line)));
    expect(read.events).toEqual(events);
  });

  it('requires i to increase in file order', async () => {
    const file = write([
      line({ i: 0, t: 0, p: 'a', type: 'ok', f: 'process', id: 'x' }),
      line({ i: 0, t: 0, p: 'a', type: 'ok', f: 'process', id: 'y' }),
    ]);
    await expect(readHistory(file)).rejects.toThrow(/:2: "i" must increase/);
  });

  it('treats a partial last line (writer killed mid-write) as truncation, not an error', async () => {
    const file = write([
      line({ i: 0, t: 0, p: 'a', type: 'ok', f: 'process', id: 'x' }),
      '{"i":1,"t":1,"p":"a","ty',
    ]);
    const read = await readHistory(file);
    expect(read.events).toHaveLength(1);
    expect(read.truncated).toBe(true);
  });

  it('normalises integer ids, rejects unsupported versions and missing files', async () => {
    const ok = write([line({ i: 0, t: 0, p: 'a', type: 'invoke', f: 'send', id: 7, dest: 'q' })]);
    expect((await readHistory(ok)).events[0]).toMatchObject({ id: '7' });
    await expect(readHistory(write([line({ type: 'meta', version: 9 })]))).rejects.toThrow(
      /version 9 is not supported/,
    );
    await expect(readHistory('/no/such/history.ndjson')).rejects.toThrow(/cannot read history file/);
  });
});
