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
  /** A shrink attempt of a violated case finished (it is not a case of the run). */
  onShrinkStep?(result: CaseResult, attempt: number): void | Promise<void>;
  /** Shrinking is done: the smallest violating case found, after `attempts` tries. */
  onCounterexample?(result: CaseResult, attempts: number): void | Promise<void>;
  onRunEnd?(result: RunResult, outDir: string): void | Promise<void>;
}
