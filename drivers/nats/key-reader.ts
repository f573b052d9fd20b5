import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { KeyedEntry } from '../driver.ts';

/** Messages an ordered consumer asks for at a time while reading a subject. */
const FETCH_BATCH = 256;

/**
 * Every message of one subject of `stream`, in stream order, with its stream sequence: the
 * position `Nats-Expected-Last-Subject-Sequence` expects. The subject's last sequence is looked up
 * first (nothing there: no consumer at all), then an ordered consumer filtered on the subject reads
 * up to it.
 */
export async function readSubject(
  nc: NatsConnection,
  stream: string,
  subject: string,
  timeoutMs: number,
): Promise<KeyedEntry[]> {
  const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
  const last = await jsm.streams.getMessage(stream, { last_by_subj: subject });
  if (!last) return [];
  const consumer = await jetstream(nc, { timeout: timeoutMs }).consumers.get(stream, {
    filter_subjects: [subject],
  });
  const entries: KeyedEntry[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const batch = await consumer.fetch({
      max_messages: FETCH_BATCH,
      expires: Math.max(1_000, deadline - Date.now()),
    });
    for await (const m of batch) {
      entries.push({ payload: m.data, position: m.seq });
      if (m.seq >= last.seq) return entries;
    }
  }
  throw new Error(`reading ${subject} of ${stream}: sequence ${last.seq} not reached within ${timeoutMs} ms`);
}
