import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseClock } from '../../core/clock.ts';
import { readHistory } from '../../core/history-reader.ts';
import { History, HistoryWriter, MemorySink } from '../../core/history-writer.ts';
import { collectWorkerEvents, spawnWorker } from '../../runner/worker-pipe.ts';

describe('worker processes', () => {
  it('starts a worker with the V8 options it is given, before the loader', async () => {
    const child = spawnWorker(new URL('../fixtures/print-exec-argv.ts', import.meta.url), [], {
      v8Flags: ['--max-semi-space-size=32'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    await new Promise((resolve) => child.once('close', resolve));
    const execArgv = JSON.parse(out) as string[];
    expect(execArgv[0]).toBe('--max-semi-space-size=32');
    expect(execArgv).toContain('--import');
  }, 30_000);

  it('keeps every event a worker recorded before its planned SIGKILL, merged into one history', async () => {
    const sink = new MemorySink();
    const clock = new CaseClock();
    const history = new History(sink, clock);
    history.record({ p: 'harness', type: 'ok', f: 'phase', phase: 'load' });
    const worker = (name: string, count: number) => {
      const child = spawnWorker(new URL('../fixtures/recording-worker.ts', import.meta.url), [
        String(clock.epochMs),
        String(count),
        name,
      ]);
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, signal) => resolve(signal)),
      );
      return Promise.all([collectWorkerEvents(child, history), exited]);
    };
    const [[, signalA], [, signalB]] = await Promise.all([
      worker('consumer-0', 3000),
      worker('consumer-1', 2000),
    ]);

    expect(signalA).toBe('SIGKILL');
    expect(signalB).toBe('SIGKILL');
    const fromA = sink.events.filter((e) => e.p === 'consumer-0').map((e) => (e as { id: string }).id);
    const fromB = sink.events.filter((e) => e.p === 'consumer-1').map((e) => (e as { id: string }).id);
    expect(fromA).toEqual(Array.from({ length: 3000 }, (_, n) => `m${n}`));
    expect(fromB).toEqual(Array.from({ length: 2000 }, (_, n) => `m${n}`));
    // One history: indices in file order, time never going back.
    expect(sink.events.map((e) => e.i)).toEqual(sink.events.map((_, n) => n));
    for (let n = 1; n < sink.events.length; n++)
      expect(sink.events[n]!.t).toBeGreaterThanOrEqual(sink.events[n - 1]!.t);
  }, 30_000);

  it('loses at most the unflushed lines to a SIGKILL from outside, keeping whole lines before it', async () => {
    const sink = new MemorySink();
    const clock = new CaseClock();
    const history = new History(sink, clock);
    const run = async (count: number) => {
      const child = spawnWorker(new URL('../fixtures/recording-worker.ts', import.meta.url), [
        String(clock.epochMs),
        String(count),
        `consumer-${count}`,
        'external',
      ]);
      const bad: string[] = [];
      await collectWorkerEvents(child, history, { onBadLine: (line) => bad.push(line) });
      const ids = sink.events.filter((e) => e.p === `consumer-${count}`).map((e) => (e as { id: string }).id);
      return { ids, bad };
    };
    // A few events: the second half waits for the next heartbeat, which the kill never reaches.
    const small = await run(20);
    expect(small.ids).toEqual(Array.from({ length: 20 }, (_, n) => `m${n}`));
    expect(small.bad).toEqual([]);
    // Many events: full batches are written as the worker goes, so only the last partial one is lost.
    const big = await run(5000);
    expect(big.ids.length).toBeGreaterThan(5000);
    expect(big.ids.length).toBeLessThan(10_000);
    expect(big.ids).toEqual(Array.from({ length: big.ids.length }, (_, n) => `m${n}`));
    expect(big.bad).toEqual([]);
  }, 30_000);

  it.each(['compact', 'json'])(
    "writes a worker's events to the history file as the in-process writer does, i and t first (%s lines)",
    async (lines) => {
      const file = join(mkdtempSync(join(tmpdir(), 'bp-pipe-')), 'h.ndjson');
      const writer = new HistoryWriter(file);
      const clock = new CaseClock();
      const history = new History(writer, clock);
      const child = spawnWorker(new URL('../fixtures/recording-worker.ts', import.meta.url), [
        String(clock.epochMs),
        '50',
        'consumer-0',
        'planned',
        lines,
      ]);
      const bad: string[] = [];
      await collectWorkerEvents(child, history, { onBadLine: (line) => bad.push(line) });
      writer.close();
      expect(bad).toEqual([]);
      const { events } = await readHistory(file);
      expect(events.map((e) => e.i)).toEqual(events.map((_, n) => n));
      expect(events.map(({ i, t, ...rest }) => rest)).toEqual(
        Array.from({ length: 50 }, (_, n) => ({
          p: 'consumer-0',
          type: 'ok',
          f: 'process',
          id: `m${n}`,
          group: 'default',
        })),
      );
      // Byte for byte what the in-process writer gives: JSON.stringify's, i and t first.
      const text = readFileSync(file, 'utf8').trim().split('\n');
      expect(text).toEqual(
        events.map(
          (e) =>
            `{"i":${e.i},"t":${e.t},"p":"consumer-0","type":"ok","f":"process","id":"${(e as { id: string }).id}","group":"default"}`,
        ),
      );
    },
    30_000,
  );

  it('never takes a compact line cut short by the kill, and says so', async () => {
    const sink = new MemorySink();
    const history = new History(sink, new CaseClock());
    // A worker whose last line has no newline: the kill cut it inside the id (m12 of m123).
    const child = spawn(
      process.execPath,
      [
        '-e',
        `process.stdout.write('{"control":"consumer","k":0,"p":"c","group":"g"}\\nP\\t0\\t5\\tm1\\nP\\t0\\t6\\tm12')`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const bad: string[] = [];
    await collectWorkerEvents(child, history, { onBadLine: (line) => bad.push(line) });
    history.flush();
    expect(sink.events.map((e) => (e as { id?: string }).id)).toEqual(['m1']);
    expect(bad).toEqual(['P\t0\t6\tm12']);
  }, 30_000);
});
