/**
 * A small seeded PRNG (mulberry32). Everything random inside a case (processing times, which
 * message fails transiently, the memory broker's anomaly rolls) draws from one of these, seeded from
 * the fast-check workload, so a replayed case makes the same choices.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An independent stream derived from a seed and a label (one per consumer, per broker, …). */
export function forkRandom(seed: number, label: string): Random {
  let h = seed >>> 0;
  for (let k = 0; k < label.length; k++) h = Math.imul(h ^ label.charCodeAt(k), 0x01000193) >>> 0;
  return seededRandom(h);
}

export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
