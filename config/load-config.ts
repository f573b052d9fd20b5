import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { importModule } from '../core/import-module.ts';
import { resolveHandlerPath } from '../scenarios/kit/your-handler.ts';
import { customEntries, resolveCustomSetups } from './custom-setups.ts';
import { configSchema, type ResolvedConfig } from './schema.ts';

export const CONFIG_FILES = ['brokerproof.config.ts', 'brokerproof.config.mjs', 'brokerproof.config.json'];

/** Finds and validates the config: the file given, else the first of CONFIG_FILES in `cwd`, else `{}`. */
export async function loadConfig(
  file: string | undefined,
  cwd = process.cwd(),
): Promise<{ config: ResolvedConfig; file?: string }> {
  const path =
    file !== undefined ? resolve(cwd, file) : CONFIG_FILES.map((f) => resolve(cwd, f)).find(existsSync);
  if (path === undefined) return { config: {} };
  if (!existsSync(path)) {
    throw new ConfigError(`config file ${file} does not exist`, {
      hint: `Pass an existing file, or create one of ${CONFIG_FILES.join(', ')}.`,
    });
  }
  const raw = await readConfigFile(path);
  const config = parseConfig(raw, path);
  // The handler's path is relative to the config file, wherever the run starts.
  if (config.handler !== undefined) config.handler = resolveHandlerPath(config.handler, dirname(path));
  if (config.handlerStore?.schema !== undefined)
    config.handlerStore.schema = resolveHandlerPath(config.handlerStore.schema, dirname(path));
  return { config, file: path };
}

async function readConfigFile(path: string): Promise<unknown> {
  if (path.endsWith('.json')) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      throw new ConfigError(`cannot read config file ${path}: ${(cause as Error).message}`, { cause });
    }
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new ConfigError(`config file ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
    }
  }
  if (!/\.(m?[jt]s)$/.test(path)) {
    throw new ConfigError(`config file ${path} must end in .ts, .mjs or .json`);
  }
  try {
    const module = (await importModule(path)) as { default?: unknown };
    if (module.default === undefined) {
      throw new ConfigError(`config file ${path} has no default export`, {
        hint: 'Write `export default defineConfig({ … })`.',
      });
    }
    return module.default;
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError(`cannot load config file ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** Validates a config value; the error names every bad key and what it expects. */
export function parseConfig(raw: unknown, source = 'config'): ResolvedConfig {
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) {
    // Custom setups: their options and claims, against the driver they extend (throws naming the key).
    resolveCustomSetups(customEntries(parsed.data.setups));
    return parsed.data;
  }
  throw new ConfigError(`invalid ${source}:\n${formatIssues(parsed.error.issues)}`, {
    hint: 'See "Configuration" in the README for every key and its values.',
  });
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const at = issue.path.length ? issue.path.join('.') : '(top level)';
      if (issue.code === 'unrecognized_keys') {
        return `  - ${at}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      }
      return `  - ${at}: ${issue.message}`;
    })
    .join('\n');
}
