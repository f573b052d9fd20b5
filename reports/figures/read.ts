/** Figures for the cases of a report directory, read from their history files (streamed). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readHistoryBatches } from '../../core/history-reader.ts';
import type { CaseResult } from '../../runner/case.ts';
import type { RunResult } from '../../runner/run-result.ts';
import { FiguresPass } from './pass.ts';
import type { CaseFigures } from './types.ts';

/** A case as reports see it: the runner's result plus the figures computed from its history. */
export type ReportedCase = CaseResult & { figures?: CaseFigures | undefined };

export async function figuresOfFile(file: string): Promise<CaseFigures> {
  const pass = new FiguresPass();
  const batches = readHistoryBatches(file);
  for (;;) {
    const next = await batches.next();
    if (next.done) break;
    for (const e of next.value) pass.add(e);
  }
  return pass.result();
}

/**
 * The run with figures on every case whose history file is there (kept when a case already has
 * them: results.json written earlier carries them). A history that cannot be read leaves the case
 * without figures, and reports say so; figures never decide a verdict.
 */
export async function withFigures(result: RunResult, outDir: string): Promise<RunResult> {
  const cases: ReportedCase[] = [];
  for (const c of result.cases as ReportedCase[]) {
    if (c.figures?.version) {
      cases.push(c);
      continue;
    }
    const file = join(outDir, c.history);
    let figures: CaseFigures | undefined;
    if (existsSync(file)) {
      try {
        figures = await figuresOfFile(file);
      } catch {
        figures = undefined;
      }
    }
    cases.push(figures ? { ...c, figures } : c);
  }
  return { ...result, cases };
}

export const figuresOf = (c: CaseResult): CaseFigures | undefined => (c as ReportedCase).figures;
