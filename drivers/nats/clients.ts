import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { describeError } from '../../core/errors.ts';
import { CaseClients } from '../case-clients.ts';
import type { Consumer, ConsumerOptions, OutgoingMessage, Producer, SendOutcome } from '../driver.ts';
import { openConnection, publishFailure, withTimeout } from './connection.ts';
import { CoreConsumer, JetStreamConsumer } from './consumers.ts';
import { type NatsDescriptor, serversFor, viaDescriptor } from './descriptor.ts';
import { messageHeaders } from './message-headers.ts';

export type { DeadLetterRef, NatsDescriptor } from './descriptor.ts';

export {
  HEADER_DELIVERIES,
  HEADER_ID,
  HEADER_KEY,
  HEADER_POISON,
  HEADER_REASON,
  messageHeaders,
} from './message-headers.ts';

/** A key as one subject token (no dots, wildcards or spaces). */
export function subjectToken(text: string | undefined): string {
  if (text === undefined) return '_';
  return text.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
}

/** Producers and consumers of one case, in whichever process they run. */
export class NatsClients extends CaseClients<NatsDescriptor> {
  async producer(name: string): Promise<Producer> {
    return this.track(new NatsProducer(this.descriptor, name));
  }

  async consumer(name: string, group: string, options: ConsumerOptions = {}): Promise<Consumer> {
    const d = viaDescriptor(this.descriptor, options.via);
    const target = d.consumers[group];
    if (target === undefined) throw new Error(`no consumer for group ${group}`);
    if (d.setup.kind === 'core') return this.track(new CoreConsumer(d, name, target, this.log));
    return this.track(
      new JetStreamConsumer(d, name, { stream: d.stream!, consumer: target, dest: d.dest }, false, this.log),
    );
  }

  async deadLetterConsumer(name: string, group: string): Promise<Consumer> {
    const dlq = this.descriptor.deadLetters[group];
    if (!dlq) throw new Error(`group ${group} has no dead-letter stream in this setup`);
    return this.track(
      new JetStreamConsumer(
        this.descriptor,
        name,
        { stream: dlq.stream, consumer: dlq.consumer, dest: dlq.stream },
        true,
        this.log,
      ),
    );
  }
}

/**
 * JetStream: a publish ack is `ok` (a duplicate within the window too: the stream holds it once),
 * a refusal `fail`, a timeout or lost connection `info`. Core NATS has no publish ack: a publish
 * counts as `ok` once a flush (PING/PONG round trip on the same connection) shows the server has
 * read it — and routed it to the subscribers it had at that moment, which is all core NATS ever
 * promises. A publish whose flush never comes back is `info`. A producer that cannot connect has
 * written nothing: `fail`.
 */
class NatsProducer implements Producer {
  private connection: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;
  /** The connection once open (sends skip awaiting the promise). */
  private opened: { nc: NatsConnection; js: JetStreamClient } | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly descriptor: NatsDescriptor,
    private readonly name: string,
  ) {}

  private connect() {
    this.connection ??= openConnection({
      servers: serversFor(this.descriptor, 'producers'),
      timeoutMs: this.descriptor.connectTimeoutMs,
      name: `brokerproof ${this.name}`,
    }).then((nc) => {
      this.opened = { nc, js: jetstream(nc, { timeout: this.descriptor.publishTimeoutMs }) };
      return this.opened;
    });
    const current = this.connection;
    return current.catch((error: unknown) => {
      if (this.connection === current) this.connection = undefined;
      throw error;
    });
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    let nc: NatsConnection;
    let js: JetStreamClient;
    if (this.opened) ({ nc, js } = this.opened);
    else {
      try {
        ({ nc, js } = await this.connect());
      } catch (error) {
        return { status: 'fail', error: describeError(error) };
      }
    }
    if (nc.isClosed()) {
      this.connection = undefined;
      this.opened = undefined;
      return { status: 'fail', error: 'the connection is closed' };
    }
    const d = this.descriptor;
    const subject = `${d.subject}.${subjectToken(message.key)}`;
    const h = messageHeaders(message);
    if (d.setup.kind === 'core') {
      try {
        nc.publish(subject, message.payload, { headers: h });
      } catch (error) {
        // Refused before anything was written (closed, draining, bad subject).
        return { status: 'fail', error: describeError(error) };
      }
      try {
        await this.flush(nc);
        return { status: 'ok' };
      } catch (error) {
        return { status: 'info', error: `not flushed: ${describeError(error)}` };
      }
    }
    try {
      const ack = await js.publish(subject, message.payload, {
        headers: h,
        timeout: d.publishTimeoutMs,
        ...(d.setup.dedupe && { msgID: message.id }),
        ...(message.expectPosition !== undefined && {
          expect: { lastSubjectSequence: message.expectPosition },
        }),
      });
      return { status: 'ok', offset: ack.seq };
    } catch (error) {
      // The subject moved on since the position was read: another writer appended first.
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence)
        return { status: 'fail', error: 'conflict' };
      return publishFailure(error);
    }
  }

  /** One PING for every publish made in the same turn of the event loop. */
  private flush(nc: NatsConnection): Promise<void> {
    this.flushing ??= Promise.resolve().then(() => {
      this.flushing = undefined;
      return withTimeout(nc.flush(), this.descriptor.publishTimeoutMs, 'flush');
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.opened = undefined;
    const opened = await connection?.catch(() => undefined);
    await opened?.nc.close().catch(() => {});
  }
}
