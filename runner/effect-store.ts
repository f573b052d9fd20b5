/**
 * The idempotency store of the idempotent-consumer pattern: a side effect per transaction id is
 * applied once per subscriber group; a redelivered message finds its transaction already applied.
 * (A database table with a unique key on (group, txn) in a real application.)
 */
export class EffectStore {
  private readonly applied = new Set<string>();
  apply(group: string, txn: string): boolean {
    const key = `${group}\u0000${txn}`;
    if (this.applied.has(key)) return false;
    this.applied.add(key);
    return true;
  }
}
