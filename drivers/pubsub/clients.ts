import { describeError } from '../../core/errors.ts';
import { CaseClients } from '../case-clients.ts';
import type { Consumer, ConsumerOptions, OutgoingMessage, Producer, SendOutcome } from '../driver.ts';
import { HttpPushConsumer } from '../http-push/push-consumer.ts';
import { newClient, type PubSubClient } from './client.ts';
import { PubsubConsumer } from './consumer.ts';
import type { PubsubDescriptor } from './descriptor.ts';
import { viaDescriptor } from './descriptor.ts';
import { ATTR_ID, ATTR_KEY, ATTR_POISON, orderingKeyOf } from './messages.ts';
import { publishFailure } from './outcomes.ts';
import { decodePubsubPush } from './push.ts';

export type { DeadLetterRef, PubsubDescriptor } from './descriptor.ts';

/** Producers and consumers of one case, in whichever process they run. */
export class PubsubClients extends CaseClients<PubsubDescriptor> {
  async producer(name: string): Promise<Producer> {
    return this.track(new PubsubProducer(this.descriptor, name));
  }

  async consumer(name: string, group: string, options: ConsumerOptions = {}): Promise<Consumer> {
    const push = this.descriptor.pushFronts?.[group];
    if (push) {
      return this.track(
        new HttpPushConsumer({
          name,
          dest: this.dest,
          decode: decodePubsubPush,
          front: push,
          via: options.via,
          toxiproxyApi: this.descriptor.toxiproxyApi,
          log: this.log,
        }),
      );
    }
    const d = viaDescriptor(this.descriptor, options.via);
    const subscription = d.subscriptions[group];
    if (!subscription) throw new Error(`no subscription for group ${group}`);
    return this.track(
      new PubsubConsumer(d, { name, subscription, dest: d.dest, deadLetterReader: false }, this.log),
    );
  }

  async deadLetterConsumer(name: string, group: string): Promise<Consumer> {
    const dlq = this.descriptor.deadLetters[group];
    if (!dlq) throw new Error(`group ${group} has no dead-letter topic in this setup`);
    return this.track(
      new PubsubConsumer(
        this.descriptor,
        { name, subscription: dlq.subscription, dest: dlq.topic, deadLetterReader: true },
        this.log,
      ),
    );
  }
}

type Topic = ReturnType<PubSubClient['topic']>;

/**
 * Publishes through the client's batching publisher. A message id back is `ok`; an error the server
 * or client says stored nothing is `fail`; a timeout or lost connection is `info` (the library may
 * still be retrying it: a late success shows as `recovered`). With ordering keys the client pauses a
 * key after a failed publish; it is resumed at once, so later sends of the key go out again.
 */
class PubsubProducer implements Producer {
  private opened: Promise<{ client: PubSubClient; topic: Topic }> | undefined;
  /** The topic once open (sends skip awaiting the promise). */
  private topic: Topic | undefined;

  constructor(
    private readonly descriptor: PubsubDescriptor,
    private readonly name: string,
  ) {}

  private open() {
    const d = this.descriptor;
    this.opened ??= newClient(d, 'producers').then((client) => ({
      client,
      topic: client.topic(d.dest, {
        messageOrdering: d.setup.ordering === true,
        batching: { maxMessages: 100, maxMilliseconds: 5 },
        gaxOpts: { timeout: d.publishTimeoutMs },
      }),
    }));
    return this.opened;
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    const d = this.descriptor;
    let topic = this.topic;
    if (!topic) {
      try {
        ({ topic } = await this.open());
        this.topic = topic;
      } catch (error) {
        return { status: 'fail', error: `${this.name} has no client: ${describeError(error)}` };
      }
    }
    const orderingKey = d.setup.ordering ? orderingKeyOf(message.key) : undefined;
    const attributes: Record<string, string> = { [ATTR_ID]: message.id };
    if (message.key !== undefined) attributes[ATTR_KEY] = message.key;
    if (message.poison) attributes[ATTR_POISON] = '1';
    let timer: NodeJS.Timeout | undefined;
    try {
      const published = topic.publishMessage({ data: Buffer.from(message.payload), attributes, orderingKey });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer to the publish within ${d.publishTimeoutMs} ms`)),
          d.publishTimeoutMs,
        );
      });
      const messageId = await Promise.race([published, timeout]);
      return { status: 'ok', offset: messageId };
    } catch (error) {
      if (orderingKey) topic.resumePublishing(orderingKey);
      return publishFailure(error);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    this.topic = undefined;
    const o = await opened?.catch(() => undefined);
    await o?.client.close().catch(() => {});
  }
}
