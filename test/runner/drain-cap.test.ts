import { describe, expect, it } from 'vitest';
import { DRAIN_PROGRESS_FACTOR, drainCapMs, LOAD_MS_PER_MESSAGE, loadCapMs } from '../../runner/deadlines.ts';

// A drain that still makes progress may go on up to its cap: a large backlog needs the processing
// time its workload asks for, or a steady consumer is cut off and the case ends "unknown".
describe('drain cap', () => {
  it('is the progress factor for a workload with no processing time', () => {
    expect(drainCapMs(20_000, { messages: 1_000_000, maxProcessingMs: 0, consumersPerGroup: 1 })).toBe(
      20_000 * DRAIN_PROGRESS_FACTOR,
    );
  });
  it('is the progress factor for a backlog the factor is meant for (2 000 messages)', () => {
    expect(drainCapMs(1_000, { messages: 20, maxProcessingMs: 20_000, consumersPerGroup: 1 })).toBe(3_000);
  });
  it('grows with the processing the messages ask for, shared by the consumers of a group', () => {
    const one = drainCapMs(20_000, { messages: 100_000, maxProcessingMs: 4, consumersPerGroup: 1 });
    const four = drainCapMs(20_000, { messages: 100_000, maxProcessingMs: 4, consumersPerGroup: 4 });
    expect(one).toBe(60_000 + 98_000 * 4);
    expect(four).toBe(60_000 + 98_000);
  });
});

describe('load cap', () => {
  it('allows the planned load, the slack, and time to send every message', () => {
    expect(loadCapMs(5_000, { messages: 0, loadMs: 30_000 })).toBe(35_000);
    // Whole milliseconds (AbortSignal.timeout throws on anything else).
    expect(loadCapMs(500, { messages: 50, loadMs: 0 })).toBe(513);
    expect(loadCapMs(60_000, { messages: 1_000_000, loadMs: 0 })).toBe(
      60_000 + 1_000_000 * LOAD_MS_PER_MESSAGE,
    );
  });

  it("allows a slower broker's declared rate, never less than the default", () => {
    expect(loadCapMs(60_000, { messages: 1_000_000, loadMs: 0 }, 400)).toBe(60_000 + 2_500_000);
    expect(loadCapMs(60_000, { messages: 1_000_000, loadMs: 0 }, 1e6)).toBe(
      loadCapMs(60_000, { messages: 1_000_000, loadMs: 0 }),
    );
    expect(loadCapMs(0, { messages: 3, loadMs: 0 }, 7)).toBe(429);
  });
});
