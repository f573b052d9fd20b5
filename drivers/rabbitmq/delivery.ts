import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { AckOutcome, Delivery } from '../driver.ts';
import type { RabbitConsumer, RabbitDescriptor } from './clients.ts';

/** The attempt a message is on, in the retry-queue pattern (the broker's own count does not survive a republish). */
export const ATTEMPT_HEADER = 'bp-attempt';

/**
 * One message of a consumer, read once (its headers, id, attempt). A class, not an object literal
 * with closures: made for every message, on the path the consume benchmark measures.
 */
export class RabbitDelivery implements Delivery {
  readonly id: string;
  readonly dest: string;
  readonly key: string | undefined;
  readonly poison: boolean;
  readonly redelivered: boolean;
  readonly deliveryCount: number | undefined;
  readonly payload: Uint8Array;
  readonly deadLetter: Delivery['deadLetter'];
  private readonly attempt: number;

  constructor(
    private readonly consumer: RabbitConsumer,
    private readonly channel: ConfirmChannel,
    private readonly message: ConsumeMessage,
    descriptor: RabbitDescriptor,
    /** The queue it came from when it is a dead letter (recorded as its `dest`). */
    deadLetterQueue: string | undefined,
  ) {
    const deadLetter = deadLetterQueue !== undefined;
    const headers = message.properties.headers ?? {};
    const quorumCount =
      typeof headers['x-delivery-count'] === 'number' ? headers['x-delivery-count'] + 1 : undefined;
    this.attempt = typeof headers[ATTEMPT_HEADER] === 'number' ? headers[ATTEMPT_HEADER] : 1;
    this.deliveryCount = descriptor.setup.retryQueues
      ? this.attempt
      : descriptor.setup.queueType === 'quorum' && !deadLetter
        ? (quorumCount ?? 1)
        : undefined;
    this.id = String(message.properties.messageId);
    this.dest = deadLetterQueue ?? descriptor.dest;
    this.key = typeof headers['bp-key'] === 'string' ? headers['bp-key'] : undefined;
    this.poison = headers['bp-poison'] === true;
    this.redelivered = message.fields.redelivered;
    this.payload = message.content;
    this.deadLetter = deadLetter ? deadLetterInfo(headers) : undefined;
  }

  ack(): Promise<AckOutcome> {
    return this.consumer.ackMessage(this.channel, this.message);
  }

  nack({ requeue, delayMs }: { requeue: boolean; delayMs?: number | undefined }): Promise<AckOutcome> {
    return this.consumer.nackMessage(this.channel, this.message, this.attempt, requeue, delayMs);
  }
}

/** What RabbitMQ says about a dead-lettered message: the delivery count it died with, and why. */
function deadLetterInfo(headers: Record<string, unknown>): Delivery['deadLetter'] {
  const death = Array.isArray(headers['x-death'])
    ? (headers['x-death'][0] as Record<string, unknown>)
    : undefined;
  const attempt = typeof headers[ATTEMPT_HEADER] === 'number' ? headers[ATTEMPT_HEADER] : undefined;
  const quorumCount =
    typeof headers['x-delivery-count'] === 'number' ? headers['x-delivery-count'] + 1 : undefined;
  return {
    deliveryCount: attempt ?? quorumCount,
    reason: typeof death?.reason === 'string' ? death.reason : undefined,
  };
}
