/**
 * SNS → HTTP endpoints (`sns-http-fanout`): a subscription per subscriber group to that group's
 * push front (drivers/http-push), whose endpoints are the group's consumers.
 *
 * What SNS POSTs is a JSON document (`Type` Notification / SubscriptionConfirmation, `Message`,
 * `MessageId`, …). moto 5 leaves `MessageAttributes` out of HTTP notifications (AWS includes
 * them), so the message travels as an envelope in `Message` itself: id, key, poison flag and the
 * base64 payload. A SubscriptionConfirmation (AWS sends one; moto confirms subscriptions itself)
 * is answered by the front, which visits its SubscribeURL.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { OutgoingMessage } from '../driver.ts';
import type { Pushed } from '../http-push/push-consumer.ts';
import { PushFront } from '../http-push/push-front.ts';
import { encodeBody } from './messages.ts';

interface Envelope {
  'bp-id': string;
  'bp-key'?: string | undefined;
  'bp-poison'?: true | undefined;
  data: string;
}

/** The SNS `Message` of a brokerproof message on an HTTP setup. */
export function envelopeOf(message: OutgoingMessage): string {
  const envelope: Envelope = { 'bp-id': message.id, data: encodeBody(message.payload) };
  if (message.key !== undefined) envelope['bp-key'] = message.key;
  if (message.poison) envelope['bp-poison'] = true;
  return JSON.stringify(envelope);
}

interface SnsHttpBody {
  Type?: string;
  MessageId?: string;
  Message?: string;
  SubscribeURL?: string;
}

const typeOf = (body: SnsHttpBody, headers: IncomingHttpHeaders) =>
  body.Type ?? (headers['x-amz-sns-message-type'] as string | undefined);

/** A Notification as a delivery (anything else: 400, it is not one of ours). */
export function decodeSnsHttp(raw: Buffer, headers: IncomingHttpHeaders): Pushed {
  const body = JSON.parse(raw.toString('utf8')) as SnsHttpBody;
  if (typeOf(body, headers) !== 'Notification' || typeof body.Message !== 'string')
    return { kind: 'reply', status: 400, body: 'not an SNS Notification' };
  let envelope: Partial<Envelope>;
  try {
    envelope = JSON.parse(body.Message) as Partial<Envelope>;
  } catch {
    envelope = {};
  }
  return {
    kind: 'message',
    message: {
      // A message someone else published has no envelope: its MessageId stands in (unexpected).
      id: envelope['bp-id'] ?? body.MessageId ?? 'unknown',
      key: envelope['bp-key'],
      poison: envelope['bp-poison'] === true,
      offset: body.MessageId,
      payload: Buffer.from(envelope.data ?? '', 'base64'),
    },
  };
}

/** The front's own answer to a SubscriptionConfirmation: it confirms by visiting SubscribeURL. */
async function confirm(raw: Buffer, headers: IncomingHttpHeaders): Promise<{ status: number } | undefined> {
  let body: SnsHttpBody;
  try {
    body = JSON.parse(raw.toString('utf8')) as SnsHttpBody;
  } catch {
    return undefined;
  }
  if (typeOf(body, headers) !== 'SubscriptionConfirmation') return undefined;
  if (!body.SubscribeURL) return { status: 400 };
  const answer = await fetch(body.SubscribeURL, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  return { status: answer?.ok ? 200 : 502 };
}

/** Per group: a front, and the topic's HTTP subscription to it. */
export async function subscribeHttpGroups(
  sns: SNSClient,
  topicArn: string,
  groups: readonly string[],
  log: (message: string) => void,
): Promise<{ fronts: Map<string, PushFront>; subscriptions: string[] }> {
  const fronts = new Map<string, PushFront>();
  const subscriptions: string[] = [];
  try {
    for (const group of groups) {
      const front = await PushFront.start({ name: `SNS front of ${group}`, intercept: confirm, log });
      fronts.set(group, front);
      const { SubscriptionArn } = await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'http',
          Endpoint: `${front.url}/sns/${encodeURIComponent(group)}`,
          ReturnSubscriptionArn: true,
        }),
      );
      if (SubscriptionArn) subscriptions.push(SubscriptionArn);
    }
  } catch (error) {
    await Promise.allSettled([...fronts.values()].map((f) => f.close()));
    throw error;
  }
  return { fronts, subscriptions };
}
