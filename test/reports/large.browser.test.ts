/** A case of more than 10^5 events: the report stays small and opens fast (the full data is in the NDJSON). */
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../runner/run-result.ts';
import { cli } from '../helpers/cli.ts';
import { CHROMIUM, fileUrl, openBrowser, screenshot, watchedPage } from './browser/harness.ts';

/** The bar is 2 s for the default suite; a loaded CI machine gets some slack. */
const OPEN_LIMIT_MS = 3_000;

describe.skipIf(!CHROMIUM)('a 10^5-event case in Chromium', () => {
  let root: string;
  let dir: string;
  let browser: Browser;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'brokerproof-large-'));
    dir = join(root, 'large');
    // An auto-ack consumer believed at-least-once: a violated case, so evidence lists are rendered too.
    const run = await cli(
      'run',
      '--driver',
      'memory',
      '--setup',
      'auto-ack',
      '--scenario',
      'work-queue',
      '--guarantee',
      'at-least-once',
      '--runs',
      '1',
      '--messages',
      '26000',
      '--faults',
      'consumer-crash',
      '--shrink-time',
      '0',
      '--seed',
      '5',
      '--no-progress',
      '--out',
      dir,
    );
    expect(run.code, run.stderr).toBe(1);
    browser = await openBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('opens in under the limit with its plots, timeline and evidence bounded', async () => {
    const result = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResult;
    const c = result.cases[0]!;
    expect(c.events).toBeGreaterThanOrEqual(100_000);
    // The page does not grow with the history.
    expect(statSync(join(dir, 'index.html')).size).toBeLessThan(1_000_000);
    const { page, errors, network } = await watchedPage(browser);
    const started = performance.now();
    await page.goto(fileUrl(join(dir, 'index.html'), `#${c.id}`), { waitUntil: 'load' });
    const openMs = performance.now() - started;
    console.log(`report of a ${c.events}-event case opened in ${Math.round(openMs)} ms`);
    expect(openMs).toBeLessThan(OPEN_LIMIT_MS);
    const section = page.locator(`section[data-case-id="${c.id}"]`);
    expect(await section.locator('figure.plot svg').count()).toBeGreaterThanOrEqual(2);
    // Latency is sampled: at most 500 points of the 26 000 messages.
    const dots = await section.locator('figure.plot svg circle').count();
    expect(dots).toBeGreaterThan(100);
    expect(dots).toBeLessThanOrEqual(500);
    expect(await section.locator('ol.events > li').count()).toBeLessThan(400);
    await screenshot(page, 'large-case');
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
  });
});
