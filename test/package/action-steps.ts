/**
 * Runs the `run:` steps of a composite GitHub action (.github/actions/*) the way the runner would:
 * `${{ inputs.* }}` and `${{ steps.*.outputs.* }}` substituted, env and working directory as the
 * step says, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY as files. `uses:` steps are returned, not run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  'working-directory'?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

export interface Action {
  inputs: Record<string, { default?: string }>;
  runs: { using: string; steps: Step[] };
}

export interface StepRun {
  name: string;
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface ActionRun {
  steps: StepRun[];
  /** `uses:` steps with their `with:` resolved. */
  uses: { uses: string; with: Record<string, string> }[];
  outputs: Record<string, Record<string, string>>;
  summary: string;
  /** The first failing step's exit code, else 0. */
  code: number;
}

export function readAction(file: string): Action {
  return parse(readFileSync(file, 'utf8')) as Action;
}

/** Runs the action's steps in `cwd` with `inputs` (defaults from action.yml for the rest). */
export function runAction(action: Action, cwd: string, given: Record<string, string>): ActionRun {
  const inputs = Object.fromEntries(
    Object.entries(action.inputs).map(([k, v]) => [k, given[k] ?? v.default ?? '']),
  );
  const outputs: Record<string, Record<string, string>> = {};
  const dir = mkdtempSync(join(tmpdir(), 'bp-action-'));
  const summaryFile = join(dir, 'summary.md');
  writeFileSync(summaryFile, '');
  const expand = (text: string) =>
    text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
      const input = /^inputs\.([\w-]+)$/.exec(expr);
      if (input) return inputs[input[1]!] ?? '';
      const output = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr);
      if (output) return outputs[output[1]!]?.[output[2]!] ?? '';
      throw new Error(`expression not supported by this test: ${expr}`);
    });
  const result: ActionRun = { steps: [], uses: [], outputs, summary: '', code: 0 };
  let failed = false;
  for (const step of action.runs.steps) {
    const condition = step.if ?? 'success()';
    const always = condition.startsWith('always()');
    if (failed && !always) continue;
    // `always() && steps.x.outputs.y == 'z'`: the one compound condition the action uses.
    const compare = /steps\.([\w-]+)\.outputs\.([\w-]+) == '([^']*)'/.exec(condition);
    if (compare && (outputs[compare[1]!]?.[compare[2]!] ?? '') !== compare[3]) continue;
    if (step.uses) {
      result.uses.push({
        uses: step.uses,
        with: Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, expand(String(v))])),
      });
      continue;
    }
    const outputFile = join(dir, `output-${result.steps.length}`);
    writeFileSync(outputFile, '');
    const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v))]));
    const run = spawnSync('bash', ['-e', '-c', expand(step.run ?? '')], {
      cwd: resolve(cwd, expand(step['working-directory'] ?? '.')),
      encoding: 'utf8',
      timeout: 240_000,
      env: {
        ...process.env,
        NO_COLOR: '1',
        ...env,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
      },
    });
    const name = step.name ?? step.id ?? `step ${result.steps.length}`;
    result.steps.push({ name, status: run.status, stdout: run.stdout, stderr: run.stderr });
    if (step.id) {
      outputs[step.id] = Object.fromEntries(
        readFileSync(outputFile, 'utf8')
          .split('\n')
          .filter((line) => line.includes('='))
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
    }
    if (run.status !== 0 && !failed) {
      failed = true;
      result.code = run.status ?? 1;
    }
  }
  result.summary = readFileSync(summaryFile, 'utf8');
  return result;
}
