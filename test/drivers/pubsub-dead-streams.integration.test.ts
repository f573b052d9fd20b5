/**
 * What the Pub/Sub emulator does with a streaming pull whose connection closed without the stream
 * being ended (a SIGKILLed consumer, a partition): it keeps the stream as a subscriber and deals it
 * messages, which come back only after their ack deadline. Google ends such a stream at once. The
 * pull setups' descriptions and docs/drivers/pubsub.md rest on this; should an emulator stop doing
 * it, the second test fails and they need rewriting.
 */
import { Duration, type Message, PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LEASES, streamingPullOptions } from '../../drivers/pubsub/client.ts';
import type { PubsubEndpoint } from '../../provision/endpoints.ts';
import { pubsubUnavailable } from '../../provision/local/brokers/pubsub.ts';
import { ToxiproxyApi } from '../../provision/toxiproxy-api.ts';
import { requireBroker } from '../helpers/brokers.ts';

const missing = pubsubUnavailable();
if (missing) process.stderr.write(`pubsub dead-stream tests skipped: ${missing}\n`);

let endpoint: PubsubEndpoint;
let direct: string;
let toxiproxy: ToxiproxyApi;
const clients: PubSub[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
const MESSAGES = 30;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  if (missing) return;
  endpoint = await requireBroker('pubsub');
  direct = `${endpoint.upstream!.host}:${endpoint.upstream!.port}`;
  toxiproxy = new ToxiproxyApi(endpoint.toxiproxy!.apiUrl);
}, 180_000);

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => {});
  for (const client of clients) await client.close().catch(() => {});
});

function client(apiEndpoint: string): PubSub {
  const made = new PubSub({ projectId: 'brokerproof', apiEndpoint, emulatorMode: true });
  clients.push(made);
  return made;
}

/** A subscriber as the driver makes one (its streaming-pull options, default settings). */
function subscribe(via: PubSub, subscription: string, onMessage: (m: Message) => void) {
  const subscriber = via.subscription(subscription, streamingPullOptions(Duration, DEFAULT_LEASES));
  subscriber.on('message', onMessage);
  subscriber.on('error', () => {}); // the cut subscribers' streams fail; that is the point
  cleanups.push(() => subscriber.close());
  return subscriber;
}

/**
 * `dead` subscribers read through a proxy of their own, which is then disabled (their connections
 * closed at both ends); one live subscriber reads straight from the emulator; MESSAGES are
 * published, 10 a second. Returns when each arrived at the live subscriber, in ms after publishing.
 */
async function deliveriesAfterCut(
  name: string,
  dead: number,
  watchMs: number,
  /** Stops watching early once this holds (every message arrived, by default). */
  enough: (arrived: Map<number, number>) => boolean = (arrived) => arrived.size === MESSAGES,
): Promise<Map<number, number>> {
  const admin = client(direct);
  const [topic] = await admin.createTopic(name);
  const [subscription] = await topic.createSubscription(`${name}-s`, { ackDeadlineSeconds: 10 });
  cleanups.push(
    () => subscription.delete(),
    () => topic.delete(),
  );
  const proxy = `bp-test-${name}`;
  const { listen } = await toxiproxy.createProxy({ name: proxy, listen: '127.0.0.1:0', upstream: direct });
  cleanups.push(() => toxiproxy.deleteProxy(proxy));
  for (let k = 0; k < dead; k++) subscribe(client(listen), `${name}-s`, () => {});
  await sleep(2000); // their streams are open
  await toxiproxy.setEnabled(proxy, false);
  const arrived = new Map<number, number>();
  const publishedAt: number[] = [];
  subscribe(client(direct), `${name}-s`, (m) => {
    const n = Number(m.attributes.n);
    arrived.set(n, Date.now() - publishedAt[n]!);
    m.ack();
  });
  await sleep(2000);
  // One at a time: the emulator deals a publish batch to one stream, so a single batch could go
  // all to the live one (or all to the dead ones).
  const publisher = admin.topic(name, { batching: { maxMessages: 1 } });
  for (let n = 0; n < MESSAGES; n++) {
    publishedAt[n] = Date.now();
    await publisher.publishMessage({ data: Buffer.from('x'), attributes: { n: String(n) } });
    await sleep(100);
  }
  const deadline = Date.now() + watchMs;
  while (Date.now() < deadline && !enough(arrived)) await sleep(250);
  return arrived;
}

describe.skipIf(missing !== undefined).concurrent('pubsub emulator: streams whose connection closed', () => {
  it('with no dead stream, every message reaches the live subscriber within 5 s', async () => {
    const arrived = await deliveriesAfterCut(`bp-dead-streams-control-${Date.now()}`, 0, 15_000);
    expect(arrived.size).toBe(MESSAGES);
    expect(Math.max(...arrived.values())).toBeLessThan(5000);
  }, 60_000);

  it('two dead streams are still dealt messages, which reach the live subscriber only once their lease runs out', async () => {
    const isLate = (ms: number) => ms >= 5000;
    const arrived = await deliveriesAfterCut(`bp-dead-streams-${Date.now()}`, 2, 45_000, (got) =>
      [...got.values()].some(isLate),
    );
    // Some went to the dead streams and came back only once their lease ran out: later than
    // anything came with no dead stream.
    const late = [...arrived.values()].filter(isLate).length;
    expect(late).toBeGreaterThan(0);
  }, 90_000);
});
