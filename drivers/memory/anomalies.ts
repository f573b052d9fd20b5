import type { Random } from '../../core/random.ts';

/**
 * Faults the memory broker can inject on purpose, each with a rate in [0, 1]. They are how the
 * checker is proven to catch what it claims to catch (`brokerproof selftest`).
 */
export const MEMORY_ANOMALIES = [
  /** Acknowledge a send, then never store the message. */
  'drop',
  /** Store a message twice. */
  'duplicate',
  /** Hold a message back until the next message with the same key has overtaken it. */
  'reorder',
  /** Deliver a message again after its ack succeeded. */
  'redeliverAfterAck',
  /** Store a message but tell the producer the send failed. */
  'phantom',
  /** When a consumer crashes, discard its unacknowledged messages instead of redelivering them. */
  'loseUnackedOnCrash',
  /** Event store (event-sourcing scenario, memory store): append at the end whatever version the writer expected. */
  'ignoreExpectedVersion',
  /** Event store: let an append whose expected version was just taken succeed too, at the same version. */
  'forkOnConcurrentAppend',
] as const;
export type MemoryAnomaly = (typeof MEMORY_ANOMALIES)[number];
export type AnomalyRates = Partial<Record<MemoryAnomaly, number>>;

export class AnomalyInjector {
  readonly injected: Record<MemoryAnomaly, number> = {
    drop: 0,
    duplicate: 0,
    reorder: 0,
    redeliverAfterAck: 0,
    phantom: 0,
    loseUnackedOnCrash: 0,
    ignoreExpectedVersion: 0,
    forkOnConcurrentAppend: 0,
  };

  constructor(
    private readonly rates: AnomalyRates,
    private readonly random: Random,
  ) {}

  /** Rolls the dice for one opportunity; the caller calls `count` when the anomaly took effect. */
  roll(anomaly: MemoryAnomaly): boolean {
    const rate = this.rates[anomaly] ?? 0;
    return rate > 0 && this.random() < rate;
  }

  count(anomaly: MemoryAnomaly, by = 1): void {
    this.injected[anomaly] += by;
  }

  get total(): number {
    return Object.values(this.injected).reduce((a, b) => a + b, 0);
  }
}
