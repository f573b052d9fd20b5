import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeClaim } from '../core/guarantee.ts';
import type { CaseResult } from '../runner/case.ts';
import type { RunResult } from '../runner/run-result.ts';
import type { Reporter } from './reporter.ts';

const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
// XML 1.0 cannot carry most control characters, even escaped.
const clean = (text: string) => escapeXml(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '�'));

function testcase(c: CaseResult): string {
  const name = clean(`${c.scenario} #${c.path} (${describeClaim(c.guarantee)})`);
  const head = `    <testcase classname="${clean(`${c.driver}.${c.setup}.${c.scenario}`)}" name="${name}" time="${(c.durationMs / 1000).toFixed(3)}">`;
  const body: string[] = [];
  if (c.valid === false) {
    const message = c.violations.map((k) => `${c.counts[k]} ${k}`).join(', ');
    const details = c.anomalies
      .slice(0, 20)
      .map((a) => `${a.kind} ${a.id} in ${a.group}: ${a.detail ?? ''} (events ${a.events.join(', ')})`)
      .join('\n');
    body.push(
      `      <failure message="${clean(`claim violated: ${message}`)}" type="violation">${clean(details)}</failure>`,
    );
  } else if (c.valid === 'unknown') {
    body.push(
      `      <error message="${clean(`could not decide: ${c.reasons.join('; ')}`)}" type="unknown"/>`,
    );
  }
  body.push(
    `      <system-out>${clean(`history: ${c.history}\nseed: ${c.seed} path: ${c.path}`)}</system-out>`,
  );
  return [head, ...body, '    </testcase>'].join('\n');
}

export function renderJunit(result: RunResult): string {
  const suites = new Map<string, CaseResult[]>();
  for (const c of result.cases) {
    const key = `${c.driver}/${c.setup}/${c.scenario}`;
    suites.set(key, [...(suites.get(key) ?? []), c]);
  }
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const failures = result.cases.filter((c) => c.valid === false).length;
  const errors = result.cases.filter((c) => c.valid === 'unknown').length;
  lines.push(
    `<testsuites name="brokerproof" tests="${result.cases.length}" failures="${failures}" errors="${errors}" time="${(result.durationMs / 1000).toFixed(3)}">`,
  );
  for (const [name, cases] of suites) {
    const f = cases.filter((c) => c.valid === false).length;
    const e = cases.filter((c) => c.valid === 'unknown').length;
    const time = cases.reduce((t, c) => t + c.durationMs, 0) / 1000;
    lines.push(
      `  <testsuite name="${clean(name)}" tests="${cases.length}" failures="${f}" errors="${e}" time="${time.toFixed(3)}" timestamp="${clean(result.startedAt)}">`,
    );
    for (const c of cases) lines.push(testcase(c));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/** Writes `junit.xml`: one test case per brokerproof case, a failure per violated claim. */
export function junitReporter(): Reporter {
  return {
    onRunEnd(result, outDir) {
      writeFileSync(join(outDir, 'junit.xml'), renderJunit(result));
    },
  };
}
