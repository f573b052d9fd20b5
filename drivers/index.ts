import { UsageError } from '../core/errors.ts';
import type { Driver } from './driver.ts';
import { MemoryDriver, type MemoryDriverOptions } from './memory/memory-driver.ts';

/** Settings per driver, as in the config file's `drivers` section. */
export interface DriverSettings {
  memory?: MemoryDriverOptions;
}

/** Every driver brokerproof knows, by name. Loaded on demand so a run only imports what it uses. */
const DRIVER_FACTORIES: Record<string, (settings: DriverSettings) => Promise<Driver>> = {
  memory: async (settings) => new MemoryDriver(settings.memory ?? {}),
};

export const DRIVER_NAMES = Object.keys(DRIVER_FACTORIES);

export async function createDriver(name: string, settings: DriverSettings = {}): Promise<Driver> {
  const factory = DRIVER_FACTORIES[name];
  if (!factory) {
    throw new UsageError(`unknown driver "${name}"`, { hint: `Drivers: ${DRIVER_NAMES.join(', ')}.` });
  }
  return factory(settings);
}
