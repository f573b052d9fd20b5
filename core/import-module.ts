import { pathToFileURL } from 'node:url';

/**
 * Imports a user's module by path: natively, else — for TypeScript that Node cannot load alone
 * (a built brokerproof running under plain Node or vitest) — through tsx.
 */
export async function importModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
}
