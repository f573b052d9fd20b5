/**
 * What the Pub/Sub experiments share: the emulator's direct address, a Toxiproxy proxy of the
 * experiment's own in front of it (a free port), a topic with one subscription (10 s ack
 * deadline), a publisher, a log stamped with seconds since the start, and the cleanup of all of it.
 */
import { PubSub } from '@google-cloud/pubsub';
import { endpointsFor } from '../../provision/local/index.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PubsubLab {
  /** The emulator's own address (no proxy). */
  direct: string;
  /** The experiment's proxy's address. */
  listen: string;
  proxy: string;
  toxiproxy: ToxiproxyApi;
  /** A client of its own (its own connection) to `endpoint`. */
  client(endpoint?: string): PubSub;
  /** The subscription's name. */
  subscription: string;
  /** Publishes messages with attribute n = from … from + count - 1, together. */
  publish(from: number, count: number): Promise<unknown>;
  /** Publishes the message with attribute n. */
  publishOne(n: number): Promise<string>;
  log(line: string): void;
  /** Deletes the subscription, the topic and the proxy, and closes the clients made here. */
  close(): Promise<void>;
}

export async function openPubsubLab(proxy: string): Promise<PubsubLab> {
  const started = Date.now();
  const pubsub = endpointsFor('pubsub');
  const toxiproxy = new ToxiproxyApi(pubsub.toxiproxy!.apiUrl);
  const direct = `${pubsub.upstream!.host}:${pubsub.upstream!.port}`;
  const clients: PubSub[] = [];
  const client = (endpoint = direct) => {
    const made = new PubSub({ projectId: 'brokerproof', apiEndpoint: endpoint, emulatorMode: true });
    clients.push(made);
    return made;
  };
  // Port 0: Toxiproxy picks a free one.
  const { listen } = await toxiproxy.createProxy({ name: proxy, listen: '127.0.0.1:0', upstream: direct });
  const admin = client();
  const name = `bp-experiment-${Date.now()}`;
  const [topic] = await admin.createTopic(name);
  const [subscription] = await topic.createSubscription(`${name}-s`, { ackDeadlineSeconds: 10 });
  const publisher = admin.topic(name, { batching: { maxMessages: 10, maxMilliseconds: 5 } });
  const publishOne = (n: number) =>
    publisher.publishMessage({ data: Buffer.from('x'), attributes: { n: String(n) } });
  return {
    direct,
    listen,
    proxy,
    toxiproxy,
    client,
    subscription: `${name}-s`,
    publish: (from, count) => Promise.all(Array.from({ length: count }, (_, k) => publishOne(from + k))),
    publishOne,
    log: (line) => console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`),
    close: async () => {
      await subscription.delete().catch(() => {});
      await topic.delete().catch(() => {});
      await toxiproxy.deleteProxy(proxy).catch(() => {});
      for (const made of clients) await made.close().catch(() => {});
    },
  };
}
