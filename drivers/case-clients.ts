import type { AttachedTopology, Consumer, ConsumerOptions, Producer } from './driver.ts';

interface Closeable {
  close(): Promise<void>;
}

/**
 * The producers and consumers a driver hands out for one case, in whichever process they run:
 * every client is tracked, so `close` releases all their connections. Drivers extend it with how
 * their clients are made.
 */
export abstract class CaseClients<D extends { dest: string }> implements AttachedTopology {
  readonly dest: string;
  private readonly open = new Set<Closeable>();

  constructor(
    readonly descriptor: D,
    protected readonly log: (message: string) => void,
  ) {
    this.dest = descriptor.dest;
  }

  protected track<T extends Closeable>(client: T): T {
    this.open.add(client);
    return client;
  }

  abstract producer(name: string): Promise<Producer>;
  abstract consumer(name: string, group: string, options?: ConsumerOptions): Promise<Consumer>;

  async close(): Promise<void> {
    await Promise.allSettled([...this.open].map((c) => c.close()));
    this.open.clear();
  }
}
