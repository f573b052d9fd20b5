import type { MessageAttributeValue as SnsAttribute } from '@aws-sdk/client-sns';
import type { Message, MessageAttributeValue as SqsAttribute } from '@aws-sdk/client-sqs';
import type { OutgoingMessage } from '../driver.ts';

/**
 * How a brokerproof message travels through SQS and SNS: the payload, base64-encoded, is the body
 * (SQS bodies allow only some Unicode characters, and payloads are arbitrary bytes); id, key and
 * poison flag are message attributes, which SNS raw delivery hands on to the subscribed queues.
 */
export const ID_ATTRIBUTE = 'bp-id';
export const KEY_ATTRIBUTE = 'bp-key';
export const POISON_ATTRIBUTE = 'bp-poison';

/** Single group used for unkeyed messages on FIFO queues. */
export const DEFAULT_MESSAGE_GROUP = 'default';

export function encodeBody(payload: Uint8Array): string {
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
}

export function decodeBody(body: string | undefined): Uint8Array {
  return body ? Buffer.from(body, 'base64') : new Uint8Array(0);
}

export function messageAttributes(message: OutgoingMessage): Record<string, SqsAttribute & SnsAttribute> {
  const attributes: Record<string, SqsAttribute & SnsAttribute> = {
    [ID_ATTRIBUTE]: { DataType: 'String', StringValue: message.id },
  };
  if (message.key !== undefined) attributes[KEY_ATTRIBUTE] = { DataType: 'String', StringValue: message.key };
  if (message.poison) attributes[POISON_ATTRIBUTE] = { DataType: 'String', StringValue: 'true' };
  return attributes;
}

/** Bytes a message adds to a batch request (the limit is on the sum of bodies and attributes). */
export function approximateSize(body: string, message: OutgoingMessage): number {
  return body.length + message.id.length + (message.key?.length ?? 0) + 64;
}

export interface ReadMessage {
  id: string;
  key: string | undefined;
  poison: boolean;
  receiveCount: number | undefined;
  groupId: string | undefined;
  sequenceNumber: string | undefined;
}

export function readMessage(message: Message): ReadMessage {
  const attributes = message.MessageAttributes ?? {};
  const system = message.Attributes ?? {};
  const count = Number(system.ApproximateReceiveCount);
  return {
    // A message someone else sent has no id attribute: its MessageId stands in (it shows as unexpected).
    id: attributes[ID_ATTRIBUTE]?.StringValue ?? message.MessageId ?? 'unknown',
    key: attributes[KEY_ATTRIBUTE]?.StringValue,
    poison: attributes[POISON_ATTRIBUTE]?.StringValue === 'true',
    receiveCount: Number.isFinite(count) && count > 0 ? count : undefined,
    groupId: system.MessageGroupId,
    sequenceNumber: system.SequenceNumber,
  };
}
