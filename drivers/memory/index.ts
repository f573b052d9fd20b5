import type { Driver } from '../driver.ts';
import { MemoryDriver } from './memory-driver.ts';
import type { MemorySettings } from './settings.ts';

export async function createMemoryDriver(settings: MemorySettings = {}): Promise<Driver> {
  return new MemoryDriver(settings);
}
