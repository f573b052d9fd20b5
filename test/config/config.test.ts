import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../config/load-config.ts';
import { ConfigError } from '../../core/errors.ts';

describe('config', () => {
  it('accepts the JSON of the README', () => {
    const config = parseConfig({
      drivers: { memory: { anomalies: { drop: 0.05 } } },
      scenarios: ['work-queue'],
      runs: 3,
      seed: 42,
    });
    expect(config).toMatchObject({ runs: 3, seed: 42, scenarios: ['work-queue'] });
  });

  it.each([
    [{ runs: 0 }, /runs: Too small/],
    [
      { drivers: { memory: { anomalies: { drop: 1.5 } } } },
      /drivers\.memory\.anomalies\.drop: a rate is at most 1/,
    ],
    [{ drivers: { memory: { anomalies: { dorp: 0.1 } } } }, /drivers\.memory\.anomalies: unknown key "dorp"/],
    [{ scenarios: 'work-queue', colour: 'red' }, /\(top level\): unknown key "colour"/],
    [{ guarantee: 'twice' }, /guarantee: Invalid option: expected one of "at-most-once"/],
    [{ faults: ['meteor'] }, /faults\.0: a fault is one of consumer-crash/],
    [{ faults: ['broker-kill@consumers'] }, /faults\.0: a fault is one of/],
  ])('names the bad key in %j', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(ConfigError);
    expect(() => parseConfig(raw)).toThrow(message);
  });

  it('finds brokerproof.config.ts with defineConfig and reports broken files clearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-config-'));
    writeFileSync(
      join(dir, 'brokerproof.config.ts'),
      `import { defineConfig } from ${JSON.stringify(new URL('../../index.ts', import.meta.url).href)};\nexport default defineConfig({ runs: 2, scenarios: ['ordered'] });\n`,
    );
    const { config, file } = await loadConfig(undefined, dir);
    expect(file).toMatch(/brokerproof\.config\.ts$/);
    expect(config).toMatchObject({ runs: 2, scenarios: ['ordered'] });

    writeFileSync(join(dir, 'broken.json'), '{"runs": 3,');
    await expect(loadConfig('broken.json', dir)).rejects.toThrow(/is not valid JSON/);
    await expect(loadConfig('missing.json', dir)).rejects.toThrow(/does not exist/);
  });
});
