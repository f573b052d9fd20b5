import { randomBytes } from 'node:crypto';
import type { ClientRole } from '../../core/brokers.ts';
import { describeError } from '../../core/errors.ts';
import type { KeyedEntry } from '../driver.ts';
import { KafkaConnection } from './connection.ts';
import { connectionOptions, type KafkaDescriptor } from './descriptor.ts';
import { partitionerFor } from './messages.ts';

/** Fetch long-polls while reading a partition (the reader stops at the high watermark it noted). */
const MAX_WAIT_MS = 100;

/**
 * Every record of `key` in the work topic, in offset order — Kafka as an event store, a stream
 * being a key. Kafka keeps no per-key index: the key's partition (the producer's murmur2
 * partitioner) is read from offset 0 up to the high watermark looked up first, and the key's records
 * are kept. A position is the record's offset + 1 (0: the key has none). kafkajs reads through
 * consumer groups only: each read joins a group of its own, committing nothing, and deletes it
 * afterwards. Slow (a whole partition each time): a single writer reads a stream when it starts and
 * after a crash or an unknown outcome, and the harness once per stream after the drain.
 */
export async function readTopicKey(
  d: KafkaDescriptor,
  key: string,
  role: ClientRole | 'admin',
): Promise<KeyedEntry[]> {
  const partition = partitionerFor(d.dest, d.partitions)(key);
  const connection = new KafkaConnection(connectionOptions(d, `brokerproof-key-reader`, role));
  const admin = connection.kafka.admin();
  const groupId = `${d.base}.key-reader.${randomBytes(4).toString('hex')}`;
  let joined = false;
  try {
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(d.dest);
    const at = offsets.find((o) => o.partition === partition);
    if (!at) throw new Error(`partition ${partition} of ${d.dest} is missing from the broker's answer`);
    const high = Number(at.high);
    if (high <= Number(at.low)) return [];
    const consumer = connection.kafka.consumer({
      groupId,
      sessionTimeout: d.timeouts.session,
      heartbeatInterval: d.timeouts.heartbeat,
      rebalanceTimeout: d.timeouts.rebalance,
      maxWaitTimeInMs: MAX_WAIT_MS,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 },
    });
    const entries: KeyedEntry[] = [];
    let done!: () => void;
    let failed!: (error: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => {
      done = resolve;
      failed = reject;
    });
    consumer.on(consumer.events.CRASH, (event) => failed(event.payload.error));
    const deadline = setTimeout(
      () => failed(new Error(`offset ${high - 1} of ${d.dest}/${partition} not reached in time`)),
      d.timeouts.request * 2,
    );
    try {
      joined = true;
      await consumer.connect();
      await consumer.subscribe({ topics: [d.dest], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (batch.partition !== partition) {
            consumer.pause([{ topic: d.dest, partitions: [batch.partition] }]);
            return;
          }
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            if (offset >= high) break;
            if (m.key?.toString('utf8') === key)
              entries.push({ payload: m.value ?? new Uint8Array(0), position: offset + 1 });
          }
          if (Number(batch.lastOffset()) >= high - 1) done();
        },
      });
      await finished;
      return entries;
    } finally {
      clearTimeout(deadline);
      await consumer.disconnect().catch(() => {});
    }
  } catch (error) {
    throw new Error(`reading key ${key} of ${d.dest}: ${describeError(error)}`, { cause: error });
  } finally {
    // The group committed nothing; it goes with the read.
    if (joined) await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}
