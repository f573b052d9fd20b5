/** Writes a comparison: index.html, compare.json and compare.md into the output directory. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCompareHtml } from './html.ts';
import { renderCompareMarkdown } from './markdown.ts';
import type { CompareModel } from './model.ts';

export const COMPARE_FILES = { html: 'index.html', json: 'compare.json', markdown: 'compare.md' } as const;

export async function writeCompare(model: CompareModel, outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, COMPARE_FILES.html), renderCompareHtml(model), 'utf8');
  await writeFile(join(outDir, COMPARE_FILES.json), `${JSON.stringify(model, null, 2)}\n`, 'utf8');
  await writeFile(join(outDir, COMPARE_FILES.markdown), renderCompareMarkdown(model), 'utf8');
}
