import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Who takes a planned consumer crash: the first consumer of its group to reach the planned
 * delivery claims it, once. Claims are files created exclusively (`wx`) in a directory of the
 * case, so consumers in worker processes and in the runner's process agree without talking.
 */
export class CrashClaims {
  constructor(readonly dir: string) {}

  static create(): CrashClaims {
    return new CrashClaims(mkdtempSync(join(tmpdir(), 'brokerproof-crashes-')));
  }

  /** True for exactly one caller per planned crash. */
  claim(index: number): boolean {
    try {
      closeSync(openSync(this.path(index), 'wx'));
      return true;
    } catch {
      return false;
    }
  }

  claimed(index: number): boolean {
    return existsSync(this.path(index));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private path(index: number): string {
    return join(this.dir, `crash-${index}`);
  }
}
