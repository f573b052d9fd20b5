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
import { Duration, type Message, type PubSub } from '@google-cloud/pubsub';
import { DEFAULT_LEASES, streamingPullOptions } from '../../drivers/pubsub/client.ts';
import { openPubsubLab, sleep } from './pubsub-lab.ts';

const { values } = parseArgs({
  options: {
    cancelled: { type: 'string', default: '2' },
    how: { type: 'string', default: 'cancel' }, // or `disconnect`: through a proxy, then the proxy cut
    'watch-s': { type: 'string', default: '45' },
    // Instead of 200 at once: 10 a second for this long, then each message's delay by bucket.
    'trickle-s': { type: 'string' },
  },
});
const disconnect = values.how === 'disconnect';
const lab = await openPubsubLab('bp-experiment-pubsub-cancelled-stream');
const { log } = lab;
const subscriberOf = (client: PubSub) =>
  client.subscription(lab.subscription, streamingPullOptions(Duration, DEFAULT_LEASES));

try {
  for (let k = 0; k < Number(values.cancelled); k++) {
    const subscriber = subscriberOf(lab.client(disconnect ? lab.listen : lab.direct));
    subscriber.on('message', (m: Message) =>
      log(`cancelled subscriber ${k} got ${m.attributes.n} (before closing)`),
    );
    subscriber.on('error', () => {});
    await sleep(1500);
    // Cancels the stream (RST_STREAM) with the client's connection kept.
    if (!disconnect) await subscriber.close();
  }
  // Every connection through the proxy closed, at both ends; the subscribers are left as they are.
  if (disconnect) await lab.toxiproxy.setEnabled(lab.proxy, false);
  log(
    disconnect
      ? `${values.cancelled} subscribers opened a stream; then their proxy was cut (connections closed, new ones refused)`
      : `${values.cancelled} subscribers opened a stream and closed it; their clients stay connected`,
  );
  const got = new Map<number, number>();
  const subscriber = subscriberOf(lab.client());
  subscriber.on('message', (m: Message) => {
    got.set(Number(m.attributes.n), Date.now());
    m.ack();
  });
  await sleep(2000);
  const publishedAt = Date.now();
  const sentAt = new Map<number, number>();
  const trickleS = values['trickle-s'] === undefined ? undefined : Number(values['trickle-s']);
  const total = trickleS === undefined ? 200 : trickleS * 10;
  if (trickleS === undefined) {
    await Promise.all(
      Array.from({ length: total }, (_, n) => {
        sentAt.set(n, publishedAt);
        return lab.publishOne(n);
      }),
    );
    log(`published ${total}`);
  } else {
    for (let n = 0; n < total; n++) {
      sentAt.set(n, Date.now());
      void lab.publishOne(n);
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
  // Upper bounds of the delay buckets; a message that never came is in none of them.
  const bounds: [string, number][] = [
    ['< 3 s', 3000],
    ['3–15 s', 15_000],
    ['15–30 s', 30_000],
    ['30–60 s', 60_000],
    ['≥ 60 s', Number.POSITIVE_INFINITY],
  ];
  const buckets: Record<string, number> = Object.fromEntries([
    ...bounds.map(([label]) => [label, 0]),
    ['never', 0],
  ]);
  for (const [n, at] of sentAt) {
    const delay = (got.get(n) ?? Number.POSITIVE_INFINITY) - at;
    buckets[bounds.find(([, bound]) => delay < bound)?.[0] ?? 'never']!++;
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
} finally {
  await lab.close();
}
