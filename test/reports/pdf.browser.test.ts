/** `brokerproof report <dir> --pdf`: a readable PDF through Chromium, checked by rendering its first page. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { CHROMIUM } from './browser/harness.ts';

const PDFTOPPM = ['/usr/bin/pdftoppm', '/usr/local/bin/pdftoppm'].find(existsSync);
if (!PDFTOPPM) console.log('PDF rendering test skipped: no pdftoppm (apt-get install poppler-utils)');

/** Fraction of dark pixels on the first page, rendered to a grey-scale PGM by pdftoppm. */
function inkOnFirstPage(pdf: string, out: string): number {
  execFileSync(PDFTOPPM!, ['-f', '1', '-l', '1', '-r', '40', '-gray', '-singlefile', pdf, out]);
  const pgm = readFileSync(`${out}.pgm`);
  // Header: "P5\n<width> <height>\n<max>\n", then one byte per pixel.
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 64).toString('latin1'))!;
  const [width, height] = [Number(header[1]), Number(header[2])];
  const pixels = pgm.subarray(header[0].length);
  expect(pixels.length).toBe(width * height);
  let dark = 0;
  for (const p of pixels) if (p < 160) dark++;
  return dark / pixels.length;
}

describe('report --pdf', () => {
  let root: string;
  let dir: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'brokerproof-pdf-'));
    dir = join(root, 'report');
    const run = await cli(
      'run',
      '--driver',
      'memory',
      '--scenario',
      'work-queue',
      '--runs',
      '1',
      '--faults',
      'consumer-crash',
      '--messages',
      '300',
      '--seed',
      '3',
      '--shrink-time',
      '0',
      '--no-progress',
      '--out',
      dir,
    );
    expect([0, 2], run.stderr).toContain(run.code);
  }, 60_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('fails with a clear message and exit 2 when no Chromium is found', async () => {
    const saved = process.env.BROKERPROOF_CHROMIUM;
    process.env.BROKERPROOF_CHROMIUM = join(root, 'no-such-chromium');
    try {
      const run = await cli('report', dir, '--pdf');
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('no Chromium at BROKERPROOF_CHROMIUM');
      expect(run.stderr).toContain('apt-get install chromium');
      expect(existsSync(join(dir, 'report.pdf'))).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.BROKERPROOF_CHROMIUM;
      else process.env.BROKERPROOF_CHROMIUM = saved;
    }
  });

  it.skipIf(!CHROMIUM || !PDFTOPPM)(
    'prints the case report and a compare page to PDFs whose first page is not blank',
    async () => {
      const run = await cli('report', dir, '--pdf');
      expect(run.code, run.stderr).toBe(0);
      const pdf = join(dir, 'report.pdf');
      expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
      const ink = inkOnFirstPage(pdf, join(root, 'page'));
      expect(ink).toBeGreaterThan(0.005);
      expect(ink).toBeLessThan(0.6);

      const compare = join(root, 'compare');
      await cli('compare', dir, '--out', compare);
      expect(existsSync(join(compare, 'compare.json'))).toBe(true);
      const printed = await cli('report', compare, '--pdf');
      expect(printed.code, printed.stderr).toBe(0);
      expect(inkOnFirstPage(join(compare, 'report.pdf'), join(root, 'compare-page'))).toBeGreaterThan(0.005);
    },
    60_000,
  );
});
