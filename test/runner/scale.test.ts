import { describe, expect, it } from 'vitest';
import { MAX_PARTITIONS, MAX_SEND_WINDOW, sendWindow, topologyPartitions } from '../../runner/scale.ts';

describe('how a case grows with its size', () => {
  it("keeps the scenario's window in drawn-size cases and widens it in big ones", () => {
    expect(sendWindow(8, { messages: 2000, producers: 1 })).toBe(8);
    expect(sendWindow(8, { messages: 100_000, producers: 2 })).toBe(50);
    expect(sendWindow(8, { messages: 1_000_000, producers: 1 })).toBe(MAX_SEND_WINDOW);
  });

  it("widens no further than the driver's most sends in flight, and never below the scenario's", () => {
    expect(sendWindow(8, { messages: 1_000_000, producers: 2 }, 20)).toBe(20);
    expect(sendWindow(8, { messages: 10_000, producers: 1 }, 20)).toBe(10);
    expect(sendWindow(8, { messages: 1_000_000, producers: 1 }, 4)).toBe(8);
    expect(sendWindow(8, { messages: 1_000_000, producers: 1 }, 1000)).toBe(MAX_SEND_WINDOW);
  });

  it('keeps a window of one (per-producer order) however big the case', () => {
    expect(sendWindow(1, { messages: 1_000_000, producers: 1 })).toBe(1);
  });

  it('asks for more partitions only in big cases, within a bound', () => {
    expect(topologyPartitions({ messages: 2000, partitions: 1 })).toBe(1);
    expect(topologyPartitions({ messages: 2000, partitions: 4 })).toBe(4);
    expect(topologyPartitions({ messages: 1_000_000, partitions: 1 })).toBe(20);
    expect(topologyPartitions({ messages: 10_000_000, partitions: 1 })).toBe(MAX_PARTITIONS);
  });
});
