import { Checker, type CheckOptions, type CheckResult } from '../checker/check.ts';
import type { HistoryEvent, HistoryMeta } from '../core/events.ts';
import { forEachHistoryEvent, readHistoryBatches } from '../core/history-reader.ts';

export interface FileCheck {
  result: CheckResult;
  meta: HistoryMeta | undefined;
  eventCount: number;
  truncated: boolean;
}

/**
 * Streams a history file through the checker (memory grows with messages, not events). Groups named
 * by the meta line are judged too; a file ending in a partial line makes the history incomplete.
 */
export async function checkHistoryFile(file: string, options: CheckOptions): Promise<FileCheck> {
  const checker = new Checker(options);
  // The core checker folds each event into columns and keeps no event, so the reader may hand it
  // one reused record; a scenario's own families might keep events, so they get their own.
  const transient = (options.families ?? []).length === 0;
  const { meta, eventCount, truncated } = await forEachHistoryEvent(file, (e) => checker.add(e), {
    transient,
  });
  if (meta?.groups) checker.declareGroups(meta.groups);
  if (truncated) checker.markIncomplete('the history is incomplete: the file ends in a partial line');
  return { result: checker.result(), meta, eventCount, truncated };
}

/** Collects the events with the given indices (the evidence behind anomaly examples). */
export async function eventsAt(
  file: string,
  indices: ReadonlySet<number>,
): Promise<Record<number, HistoryEvent>> {
  const found: Record<number, HistoryEvent> = {};
  if (indices.size === 0) return found;
  // Indices are file order: the read stops after the last one wanted, not at the end of the file.
  let last = 0;
  for (const i of indices) last = Math.max(last, i);
  const batches = readHistoryBatches(file);
  for (;;) {
    const next = await batches.next();
    if (next.done) return found;
    for (const e of next.value) if (indices.has(e.i)) found[e.i] = e;
    if ((next.value.at(-1)?.i ?? -1) >= last) {
      await batches.return(undefined as never);
      return found;
    }
  }
}
