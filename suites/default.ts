/**
 * The default suite: what `brokerproof run` does with no arguments. Every scenario of the catalogue
 * on the memory reference broker (each on the first setup it fits), three drawn cases each, with
 * consumers crashing at every crash point — a full report in seconds with nothing installed. Runs
 * that name a driver, setup or scenario crash consumers too unless `--faults` says otherwise.
 */
export const DEFAULT_SUITE = {
  driver: 'memory',
  runs: 3,
  faults: ['consumer-crash'] as string[],
  out: 'brokerproof-report',
} as const;
