/**
 * Experiment behind docs/drivers/pubsub.md "A partition wedges the subscription": what the Pub/Sub
 * emulator does with a subscription whose streaming-pull connections a Toxiproxy partition cut
 * (the proxy disabled: every connection through it closed, new ones refused). One subscriber
 * through a proxy of its own; 100 messages before the cut, 300 published (straight to the emulator)
 * during a 7 s cut, 50 after the heal; then the subscriber is closed and a fresh one reads straight
 * from the emulator while 20 more are published. Prints what each group got, and when.
 *
 * Usage (brokers up: `npx brokerproof brokers up`):
 *   node --import tsx scripts/experiments/pubsub-partition.ts [--no-partition] [--watch-s 30]
 *     [--fresh-s 60] [--subscribers 1] [--driver-options]
 * `--no-partition` is the control: the same steps with the proxy left alone. `--driver-options`
 * subscribes as the driver does (one stream, a 10 s ack deadline, leases extended up to 30 s);
 * otherwise with the library's defaults.
 */
import { parseArgs } from 'node:util';
import { Duration } from '@google-cloud/pubsub';
import { DEFAULT_LEASES, streamingPullOptions } from '../../drivers/pubsub/client.ts';
import { openPubsubLab, sleep } from './pubsub-lab.ts';

const { values } = parseArgs({
  options: {
    'no-partition': { type: 'boolean', default: false },
    'watch-s': { type: 'string', default: '30' },
    'fresh-s': { type: 'string', default: '60' },
    subscribers: { type: 'string', default: '1' },
    'driver-options': { type: 'boolean', default: false },
  },
});
const lab = await openPubsubLab('bp-experiment-pubsub-partition');
const { log, publish, toxiproxy } = lab;
const inRange = (got: Set<number>, from: number, count: number) =>
  [...got].filter((n) => n >= from && n < from + count).length;

try {
  const viaProxy = lab.client(lab.listen);
  const got = new Set<number>();
  const subscribers = Array.from({ length: Number(values.subscribers) }, (_, k) => {
    const subscriber = viaProxy.subscription(
      lab.subscription,
      values['driver-options']
        ? streamingPullOptions(Duration, DEFAULT_LEASES)
        : { flowControl: { maxMessages: DEFAULT_LEASES.flowControlMessages, allowExcessMessages: true } },
    );
    subscriber.on('message', (m) => {
      got.add(Number(m.attributes.n));
      m.ack();
    });
    subscriber.on('error', (e: Error) => log(`subscriber ${k} error: ${e.message.slice(0, 120)}`));
    return subscriber;
  });
  await publish(0, 100);
  await sleep(5000);
  log(`before the cut: ${inRange(got, 0, 100)} of 100 delivered`);
  if (!values['no-partition']) await toxiproxy.setEnabled(lab.proxy, false);
  log(values['no-partition'] ? 'no cut (control)' : 'cut: proxy disabled');
  await sleep(2000);
  await publish(100, 300);
  log('published 300 during the cut (n 100–399)');
  await sleep(5000);
  await toxiproxy.setEnabled(lab.proxy, true);
  log('healed: proxy enabled');
  await sleep(3000);
  await publish(1000, 50);
  log('published 50 after the heal (n 1000–1049)');
  for (let waited = 0; waited < Number(values['watch-s']); waited += 10) {
    await sleep(10_000);
    log(`through the proxy: ${inRange(got, 100, 300)} of the 300, ${inRange(got, 1000, 50)} of the 50`);
  }
  for (const subscriber of subscribers) await subscriber.close();
  await viaProxy.close();

  const fresh = lab.client();
  const freshGot = new Set<number>();
  const freshSubscriber = fresh.subscription(lab.subscription);
  freshSubscriber.on('message', (m) => {
    freshGot.add(Number(m.attributes.n));
    m.ack();
  });
  await sleep(3000);
  await publish(2000, 20);
  log('a fresh subscriber straight to the emulator; published 20 more (n 2000–2019)');
  await sleep(Number(values['fresh-s']) * 1000);
  const missing = Array.from({ length: 300 }, (_, k) => 100 + k).filter((n) => !got.has(n));
  log(
    `fresh subscriber after ${values['fresh-s']} s: ${missing.filter((n) => freshGot.has(n)).length} of the ${missing.length} the first never got, ` +
      `${inRange(freshGot, 1000, 50)} of the 50, ${inRange(freshGot, 2000, 20)} of the 20`,
  );
  await freshSubscriber.close();
  await fresh.close();
} finally {
  await lab.close();
}
