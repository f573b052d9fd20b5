import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Who takes a planned consumer crash: the first consumer of its group to reach the planned
 * delivery claims it, once. Claims are files created exclusively (`wx`) in a directory of the
 * case, so consumers in worker processes and in the runner's process agree without talking.
 */
export class CrashClaims {
  /** Claims this process already knows are taken: asked on every delivery, answered without a syscall. */
  private readonly taken = new Set<number>();

  constructor(readonly dir: string) {}

  static create(): CrashClaims {
    return new CrashClaims(mkdtempSync(join(tmpdir(), 'brokerproof-crashes-')));
  }

  /** True for exactly one caller per planned crash. */
  claim(index: number): boolean {
    if (this.taken.has(index)) return false;
    this.taken.add(index);
    try {
      closeSync(openSync(join(this.dir, `crash-${index}`), 'wx'));
      return true;
    } catch {
      return false;
    }
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
