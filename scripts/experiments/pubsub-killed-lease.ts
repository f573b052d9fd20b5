/**
 * Experiment behind docs/drivers/pubsub.md "Found: the emulator keeps dealing messages to streams
 * whose connection has closed" (the same effect seen from the killed side): do messages held by a
 * streaming-pull subscriber that is SIGKILLed come back to the others on the Pub/Sub emulator, also
 * when the kill follows a partition of that subscriber's link? Subscribers in child processes (so
 * the kill is a real SIGKILL, as the runner's consumer crashes are) read through a Toxiproxy proxy
 * with the driver's options (one stream, 10 s ack deadline, leases extended up to 30 s) and handle
 * one message at a time, slowly, so most of what they were given waits in the library when they are
 * killed. After the kill, survivors (the same slow subscribers, as the runner restarts crashed
 * consumers) read straight from the emulator.
 *
 * Steps: 100 messages; the proxy cut for 7 s (`--no-partition`: left alone), 300 published during
 * the cut; heal; once a child reports a message after the heal (the first wave), every child is
 * SIGKILLed; the survivors watch `--watch-s`; then a fresh subscriber reads `--fresh-s`. Prints
 * which messages no one acked, and whether the fresh subscriber got them.
 *
 * Usage (brokers up): node --import tsx scripts/experiments/pubsub-killed-lease.ts [--children 2]
 *   [--survivors 2] [--handle-ms 20] [--no-partition] [--watch-s 90] [--fresh-s 40]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Duration, type Message, PubSub } from '@google-cloud/pubsub';
import { DEFAULT_LEASES, streamingPullOptions } from '../../drivers/pubsub/client.ts';
import { openPubsubLab, sleep } from './pubsub-lab.ts';

const { values } = parseArgs({
  options: {
    child: { type: 'string' }, // internal: `<endpoint> <subscription>` of a child subscriber
    children: { type: 'string', default: '2' },
    survivors: { type: 'string', default: '2' },
    'handle-ms': { type: 'string', default: '20' },
    'no-partition': { type: 'boolean', default: false },
    'watch-s': { type: 'string', default: '90' },
    'fresh-s': { type: 'string', default: '40' },
  },
});
/** A subscriber as the driver makes one. */
const driverLike = (client: PubSub, subscription: string) =>
  client.subscription(subscription, streamingPullOptions(Duration, DEFAULT_LEASES));

if (values.child) {
  // Child: report each message as it arrives ("got n") and as it is acked ("acked n"), one at a time.
  const [endpoint, subscription] = values.child.split(' ') as [string, string];
  const client = new PubSub({ projectId: 'brokerproof', apiEndpoint: endpoint, emulatorMode: true });
  const queue: Message[] = [];
  let busy = false;
  const next = async () => {
    if (busy) return;
    busy = true;
    for (let m = queue.shift(); m; m = queue.shift()) {
      await sleep(Number(values['handle-ms']));
      m.ack();
      process.stdout.write(`acked ${m.attributes.n}\n`);
    }
    busy = false;
  };
  const subscriber = driverLike(client, subscription);
  subscriber.on('message', (m: Message) => {
    process.stdout.write(`got ${m.attributes.n}\n`);
    queue.push(m);
    void next();
  });
  subscriber.on('error', (e: Error) => process.stderr.write(`child error: ${e.message.slice(0, 120)}\n`));
} else {
  await parent();
}

async function parent(): Promise<void> {
  const lab = await openPubsubLab('bp-experiment-pubsub-killed-lease');
  const { log, publish, toxiproxy } = lab;
  const acked = new Set<number>();
  const childGot = new Set<number>();
  let healedAt = Number.POSITIVE_INFINITY;
  let firstWave: (() => void) | undefined;
  const children: ChildProcess[] = [];
  const survivors: ChildProcess[] = [];
  try {
    const self = fileURLToPath(import.meta.url);
    const spawnChild = (endpoint: string) => {
      const child = spawn(
        process.execPath,
        [
          ...process.execArgv,
          self,
          '--child',
          `${endpoint} ${lab.subscription}`,
          '--handle-ms',
          values['handle-ms']!,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const [what, n] = line.split(' ');
        if (what === 'acked') acked.add(Number(n));
        if (what === 'got' && children.includes(child)) {
          childGot.add(Number(n));
          if (Date.now() > healedAt) firstWave?.();
        }
      });
      return child;
    };
    for (let k = 0; k < Number(values.children); k++) children.push(spawnChild(lab.listen));
    await sleep(3000);
    await publish(0, 100);
    await sleep(5000);
    log(`before the cut: ${[...acked].filter((n) => n < 100).length} of 100 acked`);
    if (!values['no-partition']) await toxiproxy.setEnabled(lab.proxy, false);
    log(values['no-partition'] ? 'no cut (control)' : "cut: the children's proxy disabled");
    await sleep(2000);
    await publish(100, 300);
    log('published 300 during the cut (n 100–399)');
    await sleep(5000);
    const wave = new Promise<void>((resolve) => {
      firstWave = resolve;
    });
    healedAt = Date.now();
    await toxiproxy.setEnabled(lab.proxy, true);
    log('healed');
    await Promise.race([wave, sleep(60_000)]);
    await sleep(300);
    for (const child of children) child.kill('SIGKILL');
    // Then the survivors (as the runner restarts crashed consumers): straight to the emulator.
    for (let k = 0; k < Number(values.survivors); k++) survivors.push(spawnChild(lab.direct));
    const unacked = () => Array.from({ length: 400 }, (_, n) => n).filter((n) => !acked.has(n));
    log(
      `SIGKILLed ${children.length} children; they had got ${childGot.size}, ${unacked().length} of 400 not acked yet`,
    );
    for (let waited = 0; waited < Number(values['watch-s']); waited += 10) {
      await sleep(10_000);
      log(`not acked by anyone: ${unacked().length}`);
    }
    const missing = unacked();
    for (const child of survivors) child.kill('SIGTERM');
    const fresh = lab.client();
    const freshGot = new Set<number>();
    const freshSubscriber = fresh.subscription(lab.subscription);
    freshSubscriber.on('message', (m: Message) => {
      freshGot.add(Number(m.attributes.n));
      m.ack();
    });
    await sleep(Number(values['fresh-s']) * 1000);
    const recovered = missing.filter((n) => freshGot.has(n));
    log(
      `missing after ${values['watch-s']} s: ${missing.length} (${missing.slice(0, 20).join(' ')}${missing.length > 20 ? ' …' : ''}); ` +
        `a fresh subscriber got ${recovered.length} of them in ${values['fresh-s']} s`,
    );
    await freshSubscriber.close();
    await fresh.close();
  } finally {
    for (const child of [...children, ...survivors]) child.kill('SIGKILL');
    await lab.close();
  }
}
