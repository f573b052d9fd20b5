/** Prints a rendered report page (case report or compare page) to PDF through Chromium. */
import { pathToFileURL } from 'node:url';
import { launchChromium, requireChromium } from './browser.ts';

/** Up to this many cases are printed expanded; beyond, as the page shows them (violations open). */
export const PRINT_OPEN_LIMIT = 40;

export async function printPdf(
  htmlFile: string,
  pdfFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const executable = requireChromium(env);
  const browser = await launchChromium(executable);
  try {
    const page = await browser.newPage();
    // Nothing but the file itself may load (the page loads nothing anyway; this keeps it so).
    await page.route(/^(?!file:|data:)/, (route) => route.abort());
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    // A review reads the details: open every case (and setup) when there are few enough to print.
    const details = page.locator('details.case-details, details.setup');
    if ((await details.count()) <= PRINT_OPEN_LIMIT)
      await details.evaluateAll((all) => {
        for (const d of all) d.setAttribute('open', '');
      });
    await page.emulateMedia({ media: 'print' });
    await page.pdf({
      path: pdfFile,
      format: 'A4',
      landscape: true,
      printBackground: true,
      margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' },
    });
  } finally {
    await browser.close();
  }
}
