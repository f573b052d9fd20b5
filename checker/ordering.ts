import type { OrderingScope } from '../core/guarantee.ts';
import type { AnomalyCollector } from './anomalies.ts';
import type { GroupColumns, MessageIndex } from './message-index.ts';

/**
 * `reordered` in one group, judged on processing (semantics v2). Only messages processed in the
 * group take part. They share a scope by (dest, key) for per-key, (dest, partition of the first
 * delivery in the group) for per-partition, and dest for total, with dest and key from the first
 * send invoke. Within a scope, for A ≠ B sent first by the same process with A's first send ok
 * before B's first send invoke, B is reordered when its first process comes before A's first
 * process. A sweep over each (scope, producer) bucket, sorted once by A's ok and once by B's
 * invoke, finds for every B the latest-processed earlier A in O(n log n).
 */
export function checkOrdering(
  ix: MessageIndex,
  g: GroupColumns,
  scope: OrderingScope,
  out: AnomalyCollector,
): void {
  if (scope === 'none') return;
  const firstOk = ix.firstOk.data;
  const firstInvoke = ix.firstInvoke.data;
  const firstProcess = g.firstProcess.data;
  // A bucket's key is a number built from the interned dest, scope and producer (a string per
  // message cost more than the rest of the check); spans too large for a double fall back to text.
  const partitions = new Map<number, number>();
  const scopeOf = (m: number): number => {
    if (scope === 'per-key') return ix.key.data[m]! + 1;
    if (scope === 'total') return 0;
    const partition = g.firstDeliverPartition.data[m]!;
    let code = partitions.get(partition);
    if (code === undefined) {
      code = partitions.size;
      partitions.set(partition, code);
    }
    return code;
  };
  const scopes = new Int32Array(ix.size);
  for (let m = 0; m < ix.size; m++) scopes[m] = scopeOf(m);
  const scopeSpan = scope === 'per-key' ? ix.keys.values.length + 1 : Math.max(partitions.size, 1);
  const producerSpan = ix.processes.values.length + 1;
  const numeric = (ix.dests.values.length + 1) * scopeSpan * producerSpan <= Number.MAX_SAFE_INTEGER;
  const buckets = new Map<number | string, number[]>();
  for (let m = 0; m < ix.size; m++) {
    if (firstInvoke[m]! < 0 || firstProcess[m]! < 0) continue;
    const dest = ix.dest.data[m]! + 1;
    const producer = ix.producer.data[m]! + 1;
    const bucketKey = numeric
      ? (dest * scopeSpan + scopes[m]!) * producerSpan + producer
      : `${dest}|${scopes[m]}|${producer}`;
    let bucket = buckets.get(bucketKey);
    if (!bucket) {
      bucket = [];
      buckets.set(bucketKey, bucket);
    }
    bucket.push(m);
  }
  for (const bucket of buckets.values()) {
    if (bucket.length < 2) continue;
    // Messages are numbered in order of first appearance, mostly their send invoke: the bucket is
    // then in send order already, and a check is cheaper than a sort with a comparator.
    const predecessors = sortedBy(
      bucket.filter((m) => firstOk[m]! >= 0),
      firstOk,
    );
    const successors = sortedBy(bucket, firstInvoke);
    let p = 0;
    let latest = -1; // the predecessor processed last so far
    for (const b of successors) {
      while (p < predecessors.length && firstOk[predecessors[p]!]! < firstInvoke[b]!) {
        const a = predecessors[p++]!;
        if (latest < 0 || firstProcess[a]! > firstProcess[latest]!) latest = a;
      }
      if (latest >= 0 && firstProcess[latest]! > firstProcess[b]!) reportReordered(ix, g, latest, b, out);
    }
  }
}

/** B first processed before A, sent (and acknowledged) before it; apart, so the sweep captures nothing. */
function reportReordered(
  ix: MessageIndex,
  g: GroupColumns,
  a: number,
  b: number,
  out: AnomalyCollector,
): void {
  const firstProcess = g.firstProcess.data;
  out.add(
    'reordered',
    g.name,
    ix.ids[b]!,
    () => [ix.firstOk.data[a]!, ix.firstInvoke.data[b]!, firstProcess[b]!, firstProcess[a]!],
    () =>
      `first processed in group ${g.name} before ${ix.ids[a]}, which was sent (and acknowledged) before it was sent`,
  );
}

/** `messages` (sorted in place) in ascending order of `key[m]`. */
function sortedBy(messages: number[], key: Int32Array): number[] {
  for (let k = 1; k < messages.length; k++) {
    if (key[messages[k - 1]!]! > key[messages[k]!]!) return messages.sort((a, b) => key[a]! - key[b]!);
  }
  return messages;
}
