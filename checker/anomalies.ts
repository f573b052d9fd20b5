import type { AnomalyKind } from '../core/guarantee.ts';

/** One example of an anomaly, with the indices (`i`) of the events that prove it. */
export interface Anomaly {
  kind: AnomalyKind;
  id: string;
  group: string;
  events: number[];
  /** One sentence a reader can follow without the checker's source. */
  detail?: string;
}

/** Counts every anomaly exactly and keeps the first `cap` examples of each kind. */
export class AnomalyCollector {
  readonly examples: Anomaly[] = [];
  private readonly kept = new Map<AnomalyKind, number>();
  /** counts[group][kind] */
  readonly counts = new Map<string, Map<string, number>>();

  constructor(private readonly cap: number) {}

  add(kind: AnomalyKind, group: string, id: string, events: () => number[], detail?: () => string): void {
    this.bump(group, kind, 1);
    const kept = this.kept.get(kind) ?? 0;
    if (kept < this.cap) {
      this.kept.set(kind, kept + 1);
      const anomaly: Anomaly = {
        kind,
        id,
        group,
        events: events()
          .filter((i) => i >= 0)
          .sort((a, b) => a - b),
      };
      if (detail) anomaly.detail = detail();
      this.examples.push(anomaly);
    }
  }

  /** Keeps an example a scenario family found (counted by the family, not here). */
  example(kind: AnomalyKind, group: string, id: string, events: readonly number[], detail: string): void {
    const kept = this.kept.get(kind) ?? 0;
    if (kept >= this.cap) return;
    this.kept.set(kind, kept + 1);
    this.examples.push({
      kind,
      id,
      group,
      events: events.filter((i) => i >= 0).sort((a, b) => a - b),
      detail,
    });
  }

  /** Drops every count and example of these kinds (a scenario family decides them instead). */
  forget(kinds: readonly AnomalyKind[]): void {
    if (kinds.length === 0) return;
    const drop = new Set<string>(kinds);
    for (let k = this.examples.length - 1; k >= 0; k--)
      if (drop.has(this.examples[k]!.kind)) this.examples.splice(k, 1);
    for (const kind of kinds) this.kept.delete(kind);
    for (const g of this.counts.values()) for (const kind of kinds) g.delete(kind);
  }

  bump(group: string, name: string, by: number): void {
    let g = this.counts.get(group);
    if (!g) {
      g = new Map();
      this.counts.set(group, g);
    }
    g.set(name, (g.get(name) ?? 0) + by);
  }
}
