import { describe, expect, it } from 'vitest';
import type { CheckerFamily, FamilyAnomaly } from '../../core/checker-family.ts';
import { readHistory } from '../../core/history-reader.ts';
import type { StoreAccess } from '../../core/store.ts';
import { MemoryDriver } from '../../drivers/memory/memory-driver.ts';
import { run } from '../../runner/run.ts';
import { selectTargets } from '../../runner/targets.ts';
import { DEFAULT_SHAPE, workloadArbitrary } from '../../scenarios/kit/arbitraries.ts';
import type { Scenario } from '../../scenarios/scenario.ts';
import { tempDir } from './case-plans.ts';

/** A tally kept in the case's memory space: how often each message was counted, per group. */
type Tally = Map<string, number>;

/**
 * A whole scenario, defined here and nowhere else: consumers count each message in a tally (the
 * `double` variant counts every message twice — a bug), the tally is read back after the drain,
 * and the scenario's own checker family calls a message counted more than once `effectDuplicated`.
 */
const tallyFamily: CheckerFamily = {
  name: 'tally',
  kinds: ['effectDuplicated'],
  start: () => {
    const found: FamilyAnomaly[] = [];
    return {
      add: (e) => {
        if (e.f === 'state' && typeof e.effects === 'number' && e.effects > 1 && e.id !== undefined)
          found.push({
            kind: 'effectDuplicated',
            id: e.id,
            group: 'default',
            events: [e.i],
            detail: `counted ${e.effects}×`,
          });
      },
      result: () => ({
        counts: { default: { effectDuplicated: found.length } },
        anomalies: found,
        reasons: [],
      }),
    };
  },
};

const tally: Scenario<Tally> = {
  name: 'tally',
  description: 'Counts every message once in a tally.',
  variants: [
    { name: 'once', description: 'counts once' },
    { name: 'double', description: 'counts twice (a bug)' },
  ],
  crashPoints: ['before-process'],
  producing: { window: 4, retries: 0 },
  unfit: () => undefined,
  claim: (setup) => ({
    ...setup.claim,
    delivery: 'effectively-once',
    maxAttempts: undefined,
    ordering: 'none',
  }),
  workload: (options) => workloadArbitrary({ ...DEFAULT_SHAPE, messages: { min: 5, max: 40 } }, options),
  consume: async (d, step) => {
    if (await step.crashAt('before-process')) return;
    // A crash of this consumer while another delivery was in hand ended this incarnation too.
    if (!step.alive()) return;
    const times = step.variant === 'double' ? 2 : 1;
    step.store.set(d.id, (step.store.get(d.id) ?? 0) + times);
    step.effect(d.id, true);
    step.processed();
    await step.ack();
  },
  store: {
    open: async (access: StoreAccess) => {
      if (access.kind !== 'memory') throw new Error('tally keeps memory only');
      const existing = access.space.get('tally') as Tally | undefined;
      const t = existing ?? new Map<string, number>();
      access.space.set('tally', t);
      return t;
    },
    readBack: async (t) => [
      ...[...t].map(([id, n]) => ({
        p: 'harness',
        type: 'ok' as const,
        f: 'state' as const,
        id,
        effects: n,
      })),
    ],
  },
  checker: tallyFamily,
};

async function runTally(variant: string) {
  const driver = new MemoryDriver({});
  const { targets } = selectTargets(driver, { setups: ['queue'], scenarios: [tally], variant }, {});
  const outDir = tempDir('brokerproof-plugin-');
  const result = await run({
    targets,
    runs: 2,
    seed: 3,
    faults: ['consumer-crash'],
    outDir,
    toolVersion: 'test',
    store: { kind: 'memory' },
  });
  return { result, outDir };
}

describe('a scenario is a plug-in', () => {
  it('runs end to end from a test file: its step, its store, its read-back, its checker family', async () => {
    const { result, outDir } = await runTally('once');
    expect(result.cases).toHaveLength(2);
    for (const c of result.cases) {
      expect({ valid: c.valid, violations: c.violations, reasons: c.reasons }).toEqual({
        valid: true,
        violations: [],
        reasons: [],
      });
      expect(c.scenario).toBe('tally');
      expect(c.variant).toBe('once');
      expect(c.store).toBe('memory');
      const history = await readHistory(`${outDir}/${c.history}`);
      expect(history.meta).toMatchObject({ scenario: 'tally', variant: 'once', store: 'memory' });
      const states = history.events.filter((e) => e.f === 'state');
      // Every message the producers got acknowledged is in the tally read back after the drain.
      expect(states.length).toBe(c.counts.acknowledged);
      expect(history.events.some((e) => e.f === 'crash' && e.type === 'info')).toBe(true);
    }
  });

  it('its checker family decides what it claims to: the buggy variant is caught', async () => {
    const { result } = await runTally('double');
    for (const c of result.cases) {
      expect(c.valid).toBe(false);
      expect(c.violations).toContain('effectDuplicated');
      expect(c.counts.effectDuplicated).toBe(c.counts.acknowledged);
      expect(c.anomalies.find((a) => a.kind === 'effectDuplicated')?.detail).toBe('counted 2×');
    }
  });
});
