import type { CasePlan, CaseResult } from '../runner/case.ts';
import type { RunResult } from '../runner/run-result.ts';

/**
 * A reporter hears about a run as it happens; every hook is optional. Reporters present results,
 * they never decide validity.
 */
export interface Reporter {
  onRunStart?(info: { totalCases: number; outDir: string; seed: number }): void | Promise<void>;
  onCaseStart?(plan: CasePlan): void | Promise<void>;
  onCaseEnd?(result: CaseResult): void | Promise<void>;
  onRunEnd?(result: RunResult, outDir: string): void | Promise<void>;
}
