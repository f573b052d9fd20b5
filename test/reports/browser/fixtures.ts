/** Report directories the browser and PDF tests open, made with the memory driver (no broker needed). */
import { join } from 'node:path';
import { cli } from '../../helpers/cli.ts';

export interface Reports {
  /** queue (holds) and auto-ack judged as at-least-once (violated): mixed verdicts in one report. */
  mixed: string;
  /** Two scenarios without faults. */
  steady: string;
  /** compare of the two. */
  compare: string;
}

async function ok(args: string[], expected: number[]): Promise<void> {
  const run = await cli(...args);
  if (!expected.includes(run.code)) {
    throw new Error(`brokerproof ${args.join(' ')} exited ${run.code}:\n${run.stderr.slice(-2000)}`);
  }
}

export async function makeReports(root: string): Promise<Reports> {
  const mixed = join(root, 'mixed');
  const steady = join(root, 'steady');
  const compare = join(root, 'compare');
  const common = [
    '--driver',
    'memory',
    '--seed',
    '11',
    '--shrink-time',
    '0',
    '--no-progress',
    '--messages',
    '400',
  ];
  await ok(
    [
      'run',
      ...common,
      '--setup',
      'queue,auto-ack',
      '--scenario',
      'work-queue',
      '--guarantee',
      'at-least-once',
      '--runs',
      '2',
      '--faults',
      'consumer-crash',
      '--out',
      mixed,
    ],
    [1],
  );
  await ok(
    [
      'run',
      ...common,
      '--scenario',
      'work-queue,retry-dlq',
      '--runs',
      '1',
      '--faults',
      'none',
      '--out',
      steady,
    ],
    [0, 2],
  );
  await ok(['compare', mixed, steady, '--out', compare], [1]);
  return { mixed, steady, compare };
}
