import type { CaseTopology, Driver, DriverCapabilities } from '../../drivers/driver.ts';
import { MemoryDriver, type MemoryDriverOptions } from '../../drivers/memory/memory-driver.ts';

/**
 * The memory broker with parts of every case topology replaced (its backlog, its producers, …),
 * for runner tests that need a broker behaving some other way; the rest is the memory broker's.
 */
export function memoryWith(
  replace: (topology: CaseTopology) => Partial<CaseTopology>,
  options: { driver?: MemoryDriverOptions; capabilities?: Partial<DriverCapabilities> } = {},
): Driver {
  const inner = new MemoryDriver(options.driver ?? {});
  return Object.assign(Object.create(inner) as Driver, {
    capabilities: { ...inner.capabilities, ...options.capabilities },
    async createTopology(...args: Parameters<Driver['createTopology']>): Promise<CaseTopology> {
      const topology = await inner.createTopology(...args);
      return Object.assign(Object.create(topology) as CaseTopology, {
        ...replace(topology),
        dispose: () => topology.dispose(),
        [Symbol.asyncDispose]: () => topology.dispose(),
      });
    },
  });
}
