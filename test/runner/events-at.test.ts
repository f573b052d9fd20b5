import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { History, HistoryWriter } from '../../core/history-writer.ts';
import { eventsAt } from '../../runner/check-history-file.ts';

/** A history of `n` send invokes, m0 … m(n-1). */
function historyFile(n: number): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bp-events-at-')), 'h.ndjson');
  const writer = new HistoryWriter(file, { type: 'meta', version: 1, scenario: 'x', groups: ['default'] });
  const history = new History(writer);
  for (let k = 0; k < n; k++)
    history.record({ p: 'producer-0', type: 'invoke', f: 'send', id: `m${k}`, dest: 'q' });
  writer.close();
  return file;
}

const openFiles = () => readdirSync('/proc/self/fd').length;

describe('eventsAt (the evidence behind anomaly examples)', () => {
  it('finds the events at the indices asked for, also when the read stops before the end of the file', async () => {
    const file = historyFile(200_000);
    const found = await eventsAt(file, new Set([3, 17, 150_000]));
    expect(Object.keys(found).map(Number)).toEqual([3, 17, 150_000]);
    expect(found[150_000]).toMatchObject({ i: 150_000, f: 'send', id: 'm150000' });
    // An index past the end is simply not found.
    expect(Object.keys(await eventsAt(file, new Set([5, 10_000_000])))).toEqual(['5']);
  });

  it('closes the file when it stops early (a run of many cases opens no more and more files)', async () => {
    const file = historyFile(200_000);
    const before = openFiles();
    for (let k = 0; k < 20; k++) await eventsAt(file, new Set([1]));
    // A stream closes its file a turn after it is destroyed.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(openFiles()).toBeLessThanOrEqual(before);
  });
});
