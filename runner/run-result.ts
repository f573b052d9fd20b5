import type { Validity } from '../checker/check.ts';
import type { CaseResult } from './case.ts';
import type { Skipped } from './targets.ts';

export const RESULTS_VERSION = 1;

export interface RunSettings {
  drivers: Record<string, unknown>;
  messages?: number | undefined;
  timeouts?: Record<string, number | undefined> | undefined;
  isolation?: 'inline' | 'process' | undefined;
  /** `--soak <minutes>`: a replay draws the same long workload. */
  soakMinutes?: number | undefined;
}

const SECRET_KEY = /pass(word)?|secret|token|credential|private.?key|access.?key|auth|sasl/i;

/**
 * Copies settings with every secret-looking value replaced — keys named like secrets, and the
 * password of any `scheme://user:password@host` — so credentials never reach results or reports.
 */
export function redactSecrets<T>(value: T): T {
  if (typeof value === 'string') return value.replace(/(\/\/[^/:@\s]*:)[^@\s]*@/g, '$1[redacted]@') as T;
  if (Array.isArray(value)) return value.map(redactSecrets) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redactSecrets(v)]),
  ) as T;
}

/** Everything a run produced; `results.json` is this, and reports are rendered from it alone. */
export interface RunResult {
  version: number;
  tool: { name: 'brokerproof'; version: string };
  valid: Validity;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  seed: number;
  runs: number;
  faults: readonly string[];
  interrupted: boolean;
  /** What a replay needs besides seed and path: driver settings (secrets redacted), message count, timeouts. */
  settings: RunSettings;
  cases: CaseResult[];
  skipped: Skipped[];
}

/** false if any case broke its claim; "unknown" if none did but some could not be decided. */
export function overallValidity(cases: readonly CaseResult[], interrupted: boolean): Validity {
  if (cases.some((c) => c.valid === false)) return false;
  if (interrupted || cases.length === 0 || cases.some((c) => c.valid === 'unknown')) return 'unknown';
  return true;
}

/** Exit code of DESIGN.md: 0 holds, 1 violation found, 2 could not decide. */
export function exitCodeFor(valid: Validity): number {
  return valid === true ? 0 : valid === false ? 1 : 2;
}
