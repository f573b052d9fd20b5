/**
 * Experiment behind docs/drivers/pubsub.md "Found: the emulator keeps dealing messages to streams
 * whose connection has closed": does the Pub/Sub emulator stop dealing messages to a streaming pull
 * that is gone? Two ways to be gone. `--how disconnect`: the subscribers read through a Toxiproxy
 * proxy that is then disabled, so their connections close at both ends, as a SIGKILL or a partition
 * closes them. The emulator keeps those streams and deals them messages. `--how cancel`: the
 * subscribers close their subscription, which cancels the stream (RST_STREAM) and keeps the
 * connection. Nothing is lost to them, though the emulator's jar logs a `NoSuchMethodError` for
 * each RST_STREAM.
 *
 * Steps: `--cancelled` subscribers (clients of their own) open a stream each and are then gone as
 * above. One live subscriber, on another client, reads while 200 messages are published at once
 * (or, with `--trickle-s`, 10 a second). Prints how many the live subscriber got and when, and the
 * delays by bucket. `--cancelled 0` is the control.
 *
 * Usage (brokers up): node --import tsx scripts/experiments/pubsub-cancelled-stream.ts
 *   [--cancelled 2] [--how cancel|disconnect] [--watch-s 45] [--trickle-s 60]
 */
import { parseArgs } from 'node:util';
import { Duration, type Message, PubSub } from '@google-cloud/pubsub';
import { endpointsFor } from '../../provision/local/index.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';

const { values } = parseArgs({
  options: {
    cancelled: { type: 'string', default: '2' },
    how: { type: 'string', default: 'cancel' }, // or `disconnect`: through a proxy, then the proxy cut
    'watch-s': { type: 'string', default: '45' },
    // Instead of 200 at once: 10 a second for this long, then each message's delay by bucket.
    'trickle-s': { type: 'string' },
  },
});
const pubsub = endpointsFor('pubsub');
const direct = `${pubsub.upstream!.host}:${pubsub.upstream!.port}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
const log = (line: string) =>
  console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
const newClient = (endpoint = direct) =>
  new PubSub({ projectId: 'brokerproof', apiEndpoint: endpoint, emulatorMode: true });
const toxiproxy = new ToxiproxyApi(pubsub.toxiproxy!.apiUrl);
const PROXY = 'bp-experiment-pubsub-cancelled-stream';
const disconnect = values.how === 'disconnect';
const DEADLINE = Duration.from({ seconds: 10 });
const subscriberOf = (client: PubSub, name: string) =>
  client.subscription(name, {
    flowControl: { maxMessages: 1000, allowExcessMessages: true },
    streamingOptions: { maxStreams: 1 },
    minAckDeadline: DEADLINE,
    maxAckDeadline: DEADLINE,
    maxExtensionTime: Duration.from({ seconds: 30 }),
  });

const admin = newClient();
const name = `bp-experiment-${Date.now()}`;
const [topic] = await admin.createTopic(name);
const [subscription] = await topic.createSubscription(`${name}-s`, { ackDeadlineSeconds: 10 });
const publisher = admin.topic(name, { batching: { maxMessages: 10, maxMilliseconds: 5 } });
const kept: PubSub[] = [];
const { listen } = await toxiproxy.createProxy({ name: PROXY, listen: '127.0.0.1:0', upstream: direct });
try {
  for (let k = 0; k < Number(values.cancelled); k++) {
    const client = newClient(disconnect ? listen : direct);
    kept.push(client);
    const subscriber = subscriberOf(client, `${name}-s`);
    subscriber.on('message', (m: Message) =>
      log(`cancelled subscriber ${k} got ${m.attributes.n} (before closing)`),
    );
    subscriber.on('error', () => {});
    await sleep(1500);
    // Cancels the stream (RST_STREAM) with the client's connection kept.
    if (!disconnect) await subscriber.close();
  }
  // Every connection through the proxy closed, at both ends; the subscribers are left as they are.
  if (disconnect) await toxiproxy.setEnabled(PROXY, false);
  log(
    disconnect
      ? `${kept.length} subscribers opened a stream; then their proxy was cut (connections closed, new ones refused)`
      : `${kept.length} subscribers opened a stream and closed it; their clients stay connected`,
  );
  const live = newClient();
  const got = new Map<number, number>();
  const subscriber = subscriberOf(live, `${name}-s`);
  subscriber.on('message', (m: Message) => {
    got.set(Number(m.attributes.n), Date.now() - started);
    m.ack();
  });
  await sleep(2000);
  const publishedAt = Date.now() - started;
  const sentAt = new Map<number, number>();
  const trickleS = values['trickle-s'] === undefined ? undefined : Number(values['trickle-s']);
  const total = trickleS === undefined ? 200 : trickleS * 10;
  if (trickleS === undefined) {
    await Promise.all(
      Array.from({ length: total }, (_, n) => {
        sentAt.set(n, publishedAt);
        return publisher.publishMessage({ data: Buffer.from('x'), attributes: { n: String(n) } });
      }),
    );
    log(`published ${total}`);
  } else {
    for (let n = 0; n < total; n++) {
      sentAt.set(n, Date.now() - started);
      void publisher.publishMessage({ data: Buffer.from('x'), attributes: { n: String(n) } });
      await sleep(100);
    }
    log(`published ${total}, 10 a second`);
  }
  for (let waited = 0; waited < Number(values['watch-s']); waited += 5) {
    await sleep(5000);
    const late = [...got].filter(([n, at]) => at - sentAt.get(n)! > 3000).length;
    log(`live subscriber: ${got.size} of ${total} (${late} more than 3 s after publishing)`);
    if (got.size === total && waited >= 15) break;
  }
  const buckets = { '< 3 s': 0, '3–15 s': 0, '15–30 s': 0, '30–60 s': 0, '≥ 60 s': 0, never: 0 };
  for (const [n, at] of sentAt) {
    const arrived = got.get(n);
    const delay = arrived === undefined ? Number.POSITIVE_INFINITY : arrived - at;
    const bucket =
      delay < 3000
        ? '< 3 s'
        : delay < 15_000
          ? '3–15 s'
          : delay < 30_000
            ? '15–30 s'
            : delay < 60_000
              ? '30–60 s'
              : delay < Number.POSITIVE_INFINITY
                ? '≥ 60 s'
                : 'never';
    buckets[bucket]++;
  }
  log(`delay from publishing to the live subscriber: ${JSON.stringify(buckets)}`);
  if (trickleS !== undefined) {
    // Whether the dead streams are ever dropped: the share that went straight through, per 10 s.
    const windows: string[] = [];
    for (let w = 0; w * 100 < total; w++) {
      const ns = [...sentAt.keys()].filter((n) => Math.floor(n / 100) === w);
      const prompt = ns.filter(
        (n) => (got.get(n) ?? Number.POSITIVE_INFINITY) - sentAt.get(n)! < 3000,
      ).length;
      windows.push(`${w * 10}–${w * 10 + 10} s: ${Math.round((100 * prompt) / ns.length)}%`);
    }
    log(`published in each 10 s, arrived within 3 s: ${windows.join(', ')}`);
  }
  await subscriber.close();
  await live.close();
} finally {
  for (const client of kept) await client.close().catch(() => {});
  await subscription.delete().catch(() => {});
  await topic.delete().catch(() => {});
  await toxiproxy.deleteProxy(PROXY).catch(() => {});
  await admin.close();
}
