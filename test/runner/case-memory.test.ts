import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { CaseTopology, Driver } from '../../drivers/driver.ts';
import { MemoryDriver } from '../../drivers/memory/memory-driver.ts';
import { runCase } from '../../runner/run-case.ts';
import { findScenario } from '../../scenarios/catalogue.ts';
import { fixedWorkload } from '../helpers/workloads.ts';

/** A full garbage collection, from inside the test (vitest's workers are not started with --expose-gc). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('what a case leaves behind', () => {
  it('its broker state and recording can be collected once runCase returns (nothing keeps them)', async () => {
    const inner = new MemoryDriver({});
    const topologies: WeakRef<CaseTopology>[] = [];
    const driver = Object.assign(Object.create(inner) as Driver, {
      async createTopology(...args: Parameters<Driver['createTopology']>): Promise<CaseTopology> {
        const topology = await inner.createTopology(...args);
        topologies.push(new WeakRef(topology));
        return topology;
      },
    });
    const result = await runCase(
      {
        id: 'memory-leak-check',
        driver: driver.name,
        setup: driver.setups.find((s) => s.name === 'queue')!,
        scenario: findScenario('work-queue')!,
        claim: { delivery: 'at-least-once', ordering: 'none' },
        workload: fixedWorkload({ messages: 200, maxProcessingMs: 0, producers: 2 }),
        faults: [],
        seed: 1,
        path: '0',
      },
      driver,
      // A load deadline far off: its timer outlives the case, as it does at 10^6 messages.
      { outDir: mkdtempSync(join(tmpdir(), 'bp-leak-')), timeouts: { loadMs: 3_600_000 } },
    );
    expect(result.valid).toBe(true);
    expect(topologies).toHaveLength(1);
    // A WeakRef's target lives on to the end of the turn it was created or read in: collect in a
    // later turn, and read it only after that.
    await new Promise((resolve) => setTimeout(resolve, 10));
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(topologies[0]!.deref(), 'the case topology is still reachable after the case').toBeUndefined();
  });
});
