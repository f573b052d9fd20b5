/**
 * Where native provisioning keeps things: downloads and builds in the cache (`.cache/` at the repo
 * root, or BROKERPROOF_CACHE_DIR), runtime state — pid records, configs, data, logs — in the state
 * directory (`.brokers/`, or BROKERPROOF_STATE_DIR). Both are git-ignored.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LocalPaths {
  root: string;
  cache: string;
  state: string;
}

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): LocalPaths {
  const root = findRoot();
  return {
    root,
    cache: resolve(env.BROKERPROOF_CACHE_DIR || join(root, '.cache')),
    state: resolve(env.BROKERPROOF_STATE_DIR || join(root, '.brokers')),
  };
}
