/**
 * What the cluster tests share: a cluster directory of their own, one `brokerproof run` on the
 * running cluster read back from its results, and what a cluster may leave behind.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_DIR_VARIABLE } from '../../provision/cluster/index.ts';
import type { CaseResult } from '../../runner/case.ts';
import { cli } from '../helpers/cli.ts';

/** A temporary directory whose `cluster/` this test file's clusters live in (set for the process). */
export function clusterTestDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.env[CLUSTER_DIR_VARIABLE] = join(dir, 'cluster');
  return dir;
}

/** `brokerproof run … --shrink-time 0 --out <out>` (argv: driver, setup, faults, sizes): its exit code and cases. */
export async function runClusterCase(
  out: string,
  ...argv: string[]
): Promise<{ code: number; cases: CaseResult[] }> {
  const r = await cli('run', ...argv, '--shrink-time', '0', '--out', out, '--no-progress');
  const { cases } = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { cases: CaseResult[] };
  return { code: r.code, cases };
}

const sh = (command: string, ...args: string[]) => execFileSync(command, args, { encoding: 'utf8' });

/** What a cluster of `broker` may leave behind: its namespaces, its veths, node processes under `dir`. */
export function clusterLeftovers(broker: string, dir: string, server: string) {
  const prefix = `bpc-${broker}-`;
  return {
    netns: sh('ip', 'netns', 'list').includes(prefix),
    links: sh('ip', '-o', 'link', 'show').includes(prefix),
    processes: sh('ps', '-eo', 'args')
      .split('\n')
      .some((line) => line.includes(server) && line.includes(dir)),
  };
}
