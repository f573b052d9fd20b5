/**
 * Browser test kit: Debian's Chromium through playwright-core, a page that records console errors
 * and every request that is not the report's own files, and screenshots under .cache/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { findChromium, launchChromium } from '../../../reports/browser.ts';

export const CHROMIUM = findChromium();
if (!CHROMIUM) {
  console.log(
    'browser tests skipped: no Chromium found (apt-get install chromium, or set BROKERPROOF_CHROMIUM)',
  );
}

export const SCREENSHOTS = new URL('../../../.cache/screenshots/', import.meta.url).pathname;

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Requests for anything but file: and data: URLs. */
  network: string[];
}

export async function openBrowser(): Promise<Browser> {
  return launchChromium(CHROMIUM!);
}

export async function watchedPage(
  browser: Browser,
  viewport = { width: 1280, height: 900 },
): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const network: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (!/^(file|data):/.test(r.url())) network.push(r.url());
  });
  // Anything from the network is refused (and still recorded above).
  await page.route(/^(?!file:|data:)/, (route) => route.abort());
  return { page, errors, network };
}

export const fileUrl = (path: string, hash = '') => `${pathToFileURL(path).href}${hash}`;

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** Whether an element's box intersects the viewport. */
export async function inViewport(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox();
  const size = page.viewportSize()!;
  return box !== null && box.y < size.height && box.y + box.height > 0;
}
