/** The case report and the compare page in a real Chromium: filters, expand/collapse, links, plots. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchorFor } from '../../reports/html-markup.ts';
import { makeReports, type Reports } from './browser/fixtures.ts';
import { CHROMIUM, fileUrl, inViewport, openBrowser, screenshot, watchedPage } from './browser/harness.ts';

describe.skipIf(!CHROMIUM)('case report in Chromium', () => {
  let root: string;
  let reports: Reports;
  let browser: Browser;
  let index: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'brokerproof-browser-'));
    reports = await makeReports(root);
    index = join(reports.mixed, 'index.html');
    browser = await openBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('opens with plots of non-empty paths, no console errors and no network requests', async () => {
    const { page, errors, network } = await watchedPage(browser);
    await page.goto(fileUrl(index));
    // Violated cases open by default, so their charts are visible.
    const open = page.locator('details.case-details[open]');
    expect(await open.count()).toBeGreaterThan(0);
    const plots = open.first().locator('figure.plot svg');
    expect(await plots.count()).toBeGreaterThanOrEqual(2);
    expect(await plots.first().isVisible()).toBe(true);
    const paths = await open
      .first()
      .locator('figure.plot svg path')
      .evaluateAll((all) => all.map((p) => p.getAttribute('d') ?? ''));
    expect(paths.length).toBeGreaterThan(5);
    expect(paths.every((d) => d.length > 0)).toBe(true);
    // The load series are drawn as lines (sends ok and deliveries at least), not just axes.
    const lines = await open
      .first()
      .locator('figure.plot svg g[aria-label="line"] path')
      .evaluateAll((all) => all.map((p) => p.getAttribute('d') ?? ''));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((d) => /^M[\d.,-]+[LHV]/.test(d))).toBe(true);
    // The latency scatter has points.
    expect(await open.first().locator('figure.plot svg circle').count()).toBeGreaterThan(10);
    await screenshot(page, 'case-report');
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
  });

  it('filters cases by verdict', async () => {
    const { page, errors } = await watchedPage(browser);
    await page.goto(fileUrl(index));
    const rows = page.locator('table.cases tbody tr');
    expect(await rows.count()).toBe(4);
    await page.check('#show-violated');
    const visible = async (selector: string) =>
      page
        .locator(selector)
        .evaluateAll(
          (all) => all.filter((e) => (e as { offsetParent: unknown }).offsetParent !== null).length,
        );
    expect(await visible('table.cases tr.row-violated')).toBe(2);
    expect(await visible('table.cases tr.row-holds')).toBe(0);
    expect(await visible('section.case-holds')).toBe(0);
    await page.check('#show-holds');
    expect(await visible('table.cases tr.row-violated')).toBe(0);
    expect(await visible('table.cases tr.row-holds')).toBe(2);
    await page.check('#show-all');
    expect(await visible('table.cases tbody tr')).toBe(4);
    expect(errors).toEqual([]);
  });

  it('expands and collapses every case', async () => {
    const { page } = await watchedPage(browser);
    await page.goto(fileUrl(index));
    const details = page.locator('details.case-details');
    const openCount = () =>
      details.evaluateAll((all) => all.filter((d) => (d as { open: boolean }).open).length);
    await page.click('button[data-toggle-all="open"]');
    expect(await openCount()).toBe(4);
    await page.click('button[data-toggle-all="close"]');
    expect(await openCount()).toBe(0);
    // And by hand.
    await page.locator('section.case-holds summary').first().click();
    expect(await openCount()).toBe(1);
  });

  it('resolves every in-page link and opens the evidence it points at', async () => {
    const { page } = await watchedPage(browser);
    await page.goto(fileUrl(index));
    const targets = await page
      .locator('a[href^="#"]')
      .evaluateAll((all) => all.map((a) => a.getAttribute('href')!.slice(1)));
    expect(targets.length).toBeGreaterThan(4);
    for (const id of new Set(targets)) expect(await page.locator(`[id="${id}"]`).count(), id).toBe(1);
    // A violation's evidence link opens its anomaly block in view.
    const link = page.locator('ul.violations a').first();
    const target = (await link.getAttribute('href'))!.slice(1);
    await page.locator(`[id="${target}"]`).evaluate((d) => d.removeAttribute('open'));
    await link.click();
    expect(await page.locator(`[id="${target}"]`).evaluate((d) => (d as { open: boolean }).open)).toBe(true);
    expect(await inViewport(page, `[id="${target}"]`)).toBe(true);
    // History files resolve on disk.
    const history = await page.locator('p.history a').first().getAttribute('href');
    expect(existsSync(join(reports.mixed, decodeURIComponent(history!)))).toBe(true);
  });

  it('opens a URL ending in #<case-id> with that case expanded and in view', async () => {
    const { page, errors } = await watchedPage(browser, { width: 1280, height: 700 });
    const id = 'memory.queue.work-queue.1';
    for (const hash of [`#${id}`, `#${anchorFor(id)}`]) {
      await page.goto(fileUrl(index, hash));
      const section = `section[data-case-id="${id}"]`;
      expect(await page.locator(`${section} > details`).evaluate((d) => (d as { open: boolean }).open)).toBe(
        true,
      );
      expect(await inViewport(page, `${section} summary`)).toBe(true);
      // A holds case further down: scrolled, not at the top of the page.
      expect(
        await page.evaluate(() => (globalThis as unknown as { scrollY: number }).scrollY),
      ).toBeGreaterThan(0);
    }
    await screenshot(page, 'case-by-hash');
    expect(errors).toEqual([]);
  });

  it('opens the compare page: matrix, filters, expand/collapse, plots, evidence links', async () => {
    const { page, errors, network } = await watchedPage(browser);
    const compare = join(reports.compare, 'index.html');
    await page.goto(fileUrl(compare));
    expect(await page.locator('table.matrix td.cell-violated').count()).toBeGreaterThan(0);
    expect(await page.locator('table.matrix td.cell-held').count()).toBeGreaterThan(0);
    expect(await page.locator('table.matrix td.cell-violated').first().textContent()).toContain('lost');
    // Filters.
    const visibleRows = () =>
      page
        .locator('tr.setup-row')
        .evaluateAll(
          (all) => all.filter((e) => (e as { offsetParent: unknown }).offsetParent !== null).length,
        );
    const allRows = await visibleRows();
    await page.check('#rows-violated');
    const violatedRows = await visibleRows();
    expect(violatedRows).toBeGreaterThan(0);
    expect(violatedRows).toBeLessThan(allRows);
    await page.check('#rows-held');
    expect(await visibleRows()).toBe(allRows - violatedRows);
    await page.check('#rows-all');
    // Expand / collapse the setups.
    const details = page.locator('details.setup');
    const openCount = () =>
      details.evaluateAll((all) => all.filter((d) => (d as { open: boolean }).open).length);
    await page.click('button[data-toggle-all="open"]');
    expect(await openCount()).toBe(await details.count());
    await page.click('button[data-toggle-all="close"]');
    expect(await openCount()).toBe(0);
    // Plots.
    const paths = await page
      .locator('figure.plot svg path')
      .evaluateAll((all) => all.map((p) => p.getAttribute('d') ?? ''));
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.every((d) => d.length > 0)).toBe(true);
    expect(await page.locator('figure.plot svg circle').count()).toBeGreaterThan(0);
    await screenshot(page, 'compare');
    // Every evidence link lands on an existing case of an existing report.
    const hrefs = await page
      .locator('a.evidence')
      .evaluateAll((all) => all.map((a) => (a as { href: string }).href));
    expect(hrefs.length).toBeGreaterThan(4);
    const byPage = new Map<string, Set<string>>();
    for (const href of hrefs) {
      const url = new URL(href);
      const ids = byPage.get(url.pathname) ?? new Set();
      ids.add(decodeURIComponent(url.hash.slice(1)));
      byPage.set(url.pathname, ids);
    }
    for (const [path, ids] of byPage) {
      expect(existsSync(path), path).toBe(true);
      await page.goto(fileUrl(path));
      for (const id of ids) expect(await page.locator(`[id="${id}"]`).count(), `${path}#${id}`).toBe(1);
    }
    // Following one opens the case.
    await page.goto(hrefs[0]!);
    const hash = decodeURIComponent(new URL(hrefs[0]!).hash.slice(1));
    expect(
      await page.locator(`[id="${hash}"] > details`).evaluate((d) => (d as { open: boolean }).open),
    ).toBe(true);
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
  });
});
