import type { ConsumerMessages, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { describeError } from '../../core/errors.ts';
import {
  type DeadLetterRef,
  HEADER_DELIVERIES,
  HEADER_ID,
  HEADER_KEY,
  HEADER_POISON,
  HEADER_REASON,
} from './clients.ts';

/** `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>` (io.nats.jetstream.advisory.v1.max_deliver). */
interface MaxDeliveriesAdvisory {
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
}

export function maxDeliveriesSubject(stream: string, consumer = '*'): string {
  return `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${consumer}`;
}

export interface MoverOptions {
  /** The advisory stream and its durable consumer. */
  advisories: { stream: string; consumer: string };
  /** Work consumer name → the dead-letter destination of its group. */
  deadLetters: ReadonlyMap<string, DeadLetterRef>;
  publishTimeoutMs: number;
  log: (message: string) => void;
}

/**
 * The dead-letter pattern teams build on JetStream, which has no DLQ: the server publishes a
 * max-deliveries advisory when a message has used up MaxDeliver (seen here: only when the consumer
 * next has a pull request waiting, not when the last delivery's AckWait or nak delay runs out). A
 * stream captures those advisories, so none is lost while the mover is away (a plain subscription
 * would be at-most-once); the mover reads them with a durable consumer, fetches each exhausted
 * message by its stream sequence and publishes it to the group's DLQ stream — with a `Nats-Msg-Id`
 * made of stream, sequence and consumer, so a retried move is stored once — then acks the advisory.
 */
export class DeadLetterMover {
  moved = 0;
  errors = 0;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: MoverOptions,
  ) {}

  async start(): Promise<void> {
    const { stream, consumer } = this.options.advisories;
    const advisories = await this.js.consumers.get(stream, consumer);
    this.messages = await advisories.consume({ max_messages: 16 });
    const messages = this.messages;
    this.loop = (async () => {
      try {
        for await (const m of messages) {
          try {
            const outcome = await this.move(m.json<MaxDeliveriesAdvisory>());
            if (outcome === 'moved') m.ack();
            else m.term();
          } catch (error) {
            this.errors++;
            this.options.log(`dead-letter mover: ${describeError(error)}; retrying`);
            m.nak(500);
          }
        }
      } catch (error) {
        this.options.log(`dead-letter mover stopped: ${describeError(error)}`);
      }
    })();
  }

  private async move(advisory: MaxDeliveriesAdvisory): Promise<'moved' | 'ignored'> {
    const target = this.options.deadLetters.get(advisory.consumer);
    if (!target) return 'ignored';
    const original = await this.jsm.streams.getMessage(advisory.stream, { seq: advisory.stream_seq });
    if (!original) {
      this.options.log(`dead-letter mover: ${advisory.stream}#${advisory.stream_seq} is gone`);
      return 'ignored';
    }
    const h = headers();
    for (const name of [HEADER_ID, HEADER_KEY, HEADER_POISON]) {
      if (original.header?.has(name)) h.set(name, original.header.get(name));
    }
    h.set(HEADER_DELIVERIES, String(advisory.deliveries));
    h.set(HEADER_REASON, 'max_deliveries');
    await this.js.publish(target.subject, original.data, {
      headers: h,
      msgID: `${advisory.stream}.${advisory.stream_seq}.${advisory.consumer}`,
      timeout: this.options.publishTimeoutMs,
    });
    this.moved++;
    return 'moved';
  }

  async stop(): Promise<void> {
    await this.messages?.close().catch(() => {});
    await this.loop;
  }
}
