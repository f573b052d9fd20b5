/**
 * Pub/Sub push delivery: the JSON body a push subscription POSTs, as a delivery of the shared HTTP
 * push consumer (drivers/http-push). Success is a 102, 200, 201, 202 or 204 answer (Google's list);
 * the consumer answers 200 to an ack and 503 to a nack.
 */
import type { Pushed } from '../http-push/push-consumer.ts';
import { readAttributes } from './messages.ts';

interface PushBody {
  message?: {
    data?: string;
    attributes?: Record<string, string>;
    messageId?: string;
    message_id?: string;
  };
  subscription?: string;
  /** Only on subscriptions with a dead-letter policy. */
  deliveryAttempt?: number;
}

export function decodePubsubPush(body: Buffer): Pushed {
  const parsed = JSON.parse(body.toString('utf8')) as PushBody;
  const m = parsed.message;
  if (!m) return { kind: 'reply', status: 400, body: 'no message in the push request' };
  const fields = readAttributes(m.attributes);
  const attempt =
    typeof parsed.deliveryAttempt === 'number' && parsed.deliveryAttempt > 0
      ? parsed.deliveryAttempt
      : undefined;
  return {
    kind: 'message',
    message: {
      id: fields.id,
      key: fields.key,
      poison: fields.poison,
      offset: m.messageId ?? m.message_id,
      deliveryCount: attempt,
      redelivered: attempt === undefined ? undefined : attempt > 1,
      payload: Buffer.from(m.data ?? '', 'base64'),
    },
  };
}
