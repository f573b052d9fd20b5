import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The idempotency store of the idempotent-consumer pattern: a side effect per transaction id is
 * applied once per subscriber group; a redelivered message finds its transaction already applied.
 * (A table with a unique key on (group, txn) in a real application.)
 */
export interface EffectStore {
  /** True the first time (group, txn) is applied, false ever after. */
  apply(group: string, txn: string): boolean;
}

/** For consumers in the runner's process. */
export class MemoryEffectStore implements EffectStore {
  private readonly applied = new Set<string>();
  apply(group: string, txn: string): boolean {
    const key = `${group}\u0000${txn}`;
    if (this.applied.has(key)) return false;
    this.applied.add(key);
    return true;
  }
}

/**
 * Shared by consumer processes: one file per (group, txn), created with O_EXCL, which the kernel
 * lets exactly one process win — the unique constraint, and it survives a SIGKILL.
 */
export class FileEffectStore implements EffectStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  apply(group: string, txn: string): boolean {
    const name = createHash('sha1').update(group).update('\u0000').update(txn).digest('hex');
    try {
      closeSync(openSync(join(this.dir, name), 'wx'));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }
}
