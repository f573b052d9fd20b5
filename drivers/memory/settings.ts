import { z } from 'zod';
import { MEMORY_ANOMALIES } from './anomalies.ts';

const rate = z.number().min(0, 'a rate is at least 0').max(1, 'a rate is at most 1');

/** `drivers.memory` in the config file. */
export const memorySettings = z.strictObject({
  anomalies: z.strictObject(Object.fromEntries(MEMORY_ANOMALIES.map((a) => [a, rate.optional()]))).optional(),
  ackTimeoutMs: z.number().int().positive().optional(),
  sessionTimeoutMs: z.number().int().positive().optional(),
});
export type MemorySettings = z.output<typeof memorySettings>;
