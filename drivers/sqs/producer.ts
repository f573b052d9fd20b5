import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { OutgoingMessage, Producer, SendOutcome } from '../driver.ts';
import { deadline, outcomeOf, type SqsConnection, snsClient, sqsClient } from './aws.ts';
import { approximateSize, DEFAULT_MESSAGE_GROUP, encodeBody, messageAttributes } from './messages.ts';
import { envelopeOf } from './sns-http.ts';

/** Where a producer sends: a queue (standard or FIFO) or an SNS topic. */
export type SendTarget =
  | { kind: 'queue'; url: string; fifo: boolean; contentBasedDeduplication: boolean }
  /** `envelope`: the message travels as an envelope in the SNS Message (HTTP subscribers). */
  | { kind: 'topic'; arn: string; envelope?: boolean | undefined };

interface PendingSend {
  message: OutgoingMessage;
  body: string;
  size: number;
  done: (outcome: SendOutcome) => void;
}

const MAX_BATCH = 10;
/** Batch requests are limited to 256 KiB on some deployments; stay well below. */
const MAX_BATCH_BYTES = 200_000;

interface BatchResult {
  Successful?: { Id?: string | undefined; SequenceNumber?: string | undefined }[] | undefined;
  Failed?:
    | {
        Id?: string | undefined;
        SenderFault?: boolean | undefined;
        Code?: string | undefined;
        Message?: string | undefined;
      }[]
    | undefined;
}

/**
 * Sends in batches of up to 10 (SendMessageBatch, or PublishBatch for SNS): sends issued while the
 * event loop is busy are gathered and go out together, each getting its own outcome. `ok` = the
 * service returned a MessageId for the entry; `fail` = the entry was refused as the sender's fault
 * (or the whole request definitely was); `info` = anything else (timeout, reset, service fault).
 */
export class SqsProducer implements Producer {
  private readonly client: SQSClient | SNSClient;
  private pending: PendingSend[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly connection: SqsConnection,
    private readonly target: SendTarget,
  ) {
    this.client = target.kind === 'topic' ? snsClient(connection) : sqsClient(connection);
  }

  send(message: OutgoingMessage): Promise<SendOutcome> {
    if (this.closed) return Promise.resolve({ status: 'fail', error: 'producer closed' });
    const body =
      this.target.kind === 'topic' && this.target.envelope
        ? envelopeOf(message)
        : encodeBody(message.payload);
    const size = approximateSize(body, message);
    return new Promise<SendOutcome>((done) => {
      if (this.pendingBytes + size > MAX_BATCH_BYTES) this.flush();
      this.pending.push({ message, body, size, done });
      this.pendingBytes += size;
      if (this.pending.length >= MAX_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        // Everything sent in this turn of the event loop goes in one batch.
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const request = this.request(batch).finally(() => this.inFlight.delete(request));
    this.inFlight.add(request);
  }

  private async request(batch: PendingSend[]): Promise<void> {
    let result: BatchResult;
    try {
      result = await this.sendBatch(batch);
    } catch (error) {
      const outcome = outcomeOf(error, this.connection);
      for (const entry of batch) entry.done(outcome);
      return;
    }
    const settled = new Set<number>();
    for (const ok of result.Successful ?? []) {
      const entry = batch[Number(ok.Id)];
      if (!entry) continue;
      settled.add(Number(ok.Id));
      entry.done(
        ok.SequenceNumber !== undefined ? { status: 'ok', offset: ok.SequenceNumber } : { status: 'ok' },
      );
    }
    for (const failed of result.Failed ?? []) {
      const entry = batch[Number(failed.Id)];
      if (!entry || settled.has(Number(failed.Id))) continue;
      settled.add(Number(failed.Id));
      const error = `${failed.Code ?? 'error'}: ${failed.Message ?? 'refused'}`;
      // SenderFault: the entry was refused as invalid; otherwise the service failed and may have stored it.
      entry.done(failed.SenderFault ? { status: 'fail', error } : { status: 'info', error });
    }
    batch.forEach((entry, k) => {
      if (!settled.has(k))
        entry.done({ status: 'info', error: 'the batch response did not mention this entry' });
    });
  }

  private sendBatch(batch: PendingSend[]): Promise<BatchResult> {
    const abortSignal = deadline(this.connection);
    const target = this.target;
    if (target.kind === 'topic') {
      return (this.client as SNSClient).send(
        new PublishBatchCommand({
          TopicArn: target.arn,
          PublishBatchRequestEntries: batch.map((entry, k) => ({
            Id: String(k),
            Message: entry.body,
            MessageAttributes: messageAttributes(entry.message),
          })),
        }),
        { abortSignal },
      );
    }
    return (this.client as SQSClient).send(
      new SendMessageBatchCommand({
        QueueUrl: target.url,
        Entries: batch.map((entry, k) => ({
          Id: String(k),
          MessageBody: entry.body,
          MessageAttributes: messageAttributes(entry.message),
          ...(target.fifo && {
            MessageGroupId: entry.message.key ?? DEFAULT_MESSAGE_GROUP,
            // The message id: a retry of the same id within 5 minutes is dropped by the queue.
            ...(!target.contentBasedDeduplication && { MessageDeduplicationId: entry.message.id }),
          }),
        })),
      }),
      { abortSignal },
    );
  }

  async close(): Promise<void> {
    this.flush();
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.client.destroy();
  }
}
