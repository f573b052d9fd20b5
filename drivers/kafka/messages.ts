import type { IHeaders, Message } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { OutgoingMessage } from '../driver.ts';

/** Headers brokerproof puts on every record. */
export const HEADER = {
  id: 'bp-id',
  poison: 'bp-poison',
  /** The delivery number the record is for (retry and dead-letter topics). */
  attempt: 'bp-attempt',
  /** Epoch ms before which a retry record must not be handed to the application. */
  due: 'bp-due',
  /** Where the message first was: its partition and offset in the work topic. */
  originPartition: 'bp-origin-partition',
  originOffset: 'bp-origin-offset',
  reason: 'bp-reason',
} as const;

const EMPTY = new Uint8Array(0);

/** A record for `message`, in `partition`, with brokerproof's headers plus `extra`. */
export function toRecord(
  message: OutgoingMessage,
  partition: number,
  extra: Record<string, string> = {},
): Message {
  return {
    key: message.key ?? null,
    value: Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength),
    partition,
    headers: { [HEADER.id]: message.id, [HEADER.poison]: message.poison ? '1' : '0', ...extra },
  };
}

export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

export function headerNumber(headers: IHeaders | undefined, name: string): number | undefined {
  const text = headerText(headers, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** The message a record carries, as the application sent it. */
export function fromRecord(record: {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}): OutgoingMessage {
  return {
    id: headerText(record.headers, HEADER.id) ?? '',
    key: record.key ? record.key.toString('utf8') : undefined,
    poison: headerText(record.headers, HEADER.poison) === '1',
    payload: record.value ?? EMPTY,
  };
}

/**
 * Partitions the way kafkajs' default (Java-compatible) partitioner does — murmur2 of the key, round
 * robin without one — but decided here, so each send knows its partition and can be given its offset.
 */
export function partitionerFor(topic: string, partitions: number): (key: string | undefined) => number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
  return (key) => partitioner({ topic, partitionMetadata, message: { key: key ?? null, value: null } });
}
