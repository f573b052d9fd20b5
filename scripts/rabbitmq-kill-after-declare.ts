// The old single-node finding, asked again of the running RabbitMQ cluster (any size, 1 too): a
// quorum queue is declared and one message confirmed, then the node leading it is killed (kill -9)
// `delay` ms after the declaration returned and started again on its data; the script watches the
// queue's leader (management API of every live node) and whether the message can be read.
//
//   sudo brokerproof brokers up --cluster 3 --only rabbitmq     # or --cluster 1
//   sudo node --import tsx scripts/rabbitmq-kill-after-declare.ts [delayMs=1000] [watchS=180]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { crashNode, reviveNode } from '../provision/cluster/control.ts';
import { clusterRef, clusterRoot } from '../provision/cluster/index.ts';
import { readClusterState } from '../provision/cluster/nodes.ts';
import { managementGet, rabbitNodeName } from '../provision/cluster/rabbitmq-cluster.ts';

process.on('unhandledRejection', (error) => say(`(ignored: ${String(error).split('\n')[0]})`));
const delayMs = Number(process.argv[2] ?? 1000);
const watchS = Number(process.argv[3] ?? 180);
const root = join(clusterRoot(), 'rabbitmq');
const state = readClusterState(root);
if (!state) throw new Error(`no RabbitMQ cluster at ${root}`);
const ref = clusterRef('rabbitmq', state, root);
const queue = `bp.kill-after-declare.${Date.now()}`;
const t0 = Date.now();
const at = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const say = (line: string) => process.stdout.write(`${at()}  ${line}\n`);

async function leaderOf(): Promise<string> {
  for (const node of ref.nodes) {
    try {
      const q = await managementGet<{ leader?: string; members?: string[]; online?: string[] }>(
        node.address,
        `queues/%2F/${encodeURIComponent(queue)}`,
      );
      return `leader ${q.leader ?? '-'} online [${(q.online ?? []).join(' ')}] (asked ${node.name})`;
    } catch {}
  }
  return 'no node answered';
}

/** basic.get through the first node that takes a connection, within 5 s. */
async function readOne(): Promise<string> {
  for (const node of ref.nodes) {
    let model: amqp.ChannelModel | undefined;
    try {
      model = await amqp.connect(`amqp://guest:guest@${node.address}:5672`);
      model.on('error', () => {});
      const channel = await model.createChannel();
      channel.on('error', () => {});
      // A leaderless queue answers late or closes the connection: that must not end the script.
      const getting = channel.get(queue, { noAck: false });
      getting.catch(() => {});
      const got = await Promise.race([
        getting,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5_000)),
      ]);
      if (got === 'timeout') return `basic.get timed out (via ${node.name})`;
      if (got === false) return `queue empty (via ${node.name})`;
      channel.nack(got, false, true);
      return `message there: ${got.content.toString()} (via ${node.name})`;
    } catch (error) {
      if (ref.nodes.at(-1) === node) return `error: ${(error as Error).message.split('\n')[0]}`;
    } finally {
      // A connection the broker is closing with an error may never finish closing: do not wait long.
      await Promise.race([model?.close().catch(() => {}), new Promise((r) => setTimeout(r, 2_000))]);
    }
  }
  return 'no node';
}

const first = ref.nodes[0]!;
const model = await amqp.connect(`amqp://guest:guest@${first.address}:5672`);
model.on('error', () => {});
const channel = await model.createConfirmChannel();
await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
const declared = Date.now();
say(`declared ${queue} through ${first.name}`);
await new Promise<void>((resolve, reject) =>
  channel.sendToQueue(queue, Buffer.from('confirmed-before-kill'), { persistent: true }, (e) =>
    e ? reject(e) : resolve(),
  ),
);
say(`message confirmed; ${await leaderOf()}`);
await model.close().catch(() => {});
const leaderLine = await leaderOf();
const leaderNode = ref.nodes.find((n) => leaderLine.includes(`leader ${rabbitNodeName(n)} `)) ?? first;
await new Promise((r) => setTimeout(r, Math.max(0, delayMs - (Date.now() - declared))));
const pid = await crashNode(ref, leaderNode);
say(`killed ${leaderNode.name} (pid ${pid}) ${Date.now() - declared} ms after the declaration`);
const ras = (node: (typeof ref.nodes)[number]) => {
  const dir = join(root, node.name, 'mnesia', rabbitNodeName(node), 'quorum', rabbitNodeName(node));
  try {
    // Made by this script: the queue's own, and one more if the node started it anew.
    return readdirSync(dir)
      .filter((d) => statSync(join(dir, d)).birthtimeMs >= t0 - 1_000)
      .join(' ');
  } catch {
    return '?';
  }
};
say(`Ra data dirs of the queue on ${leaderNode.name}: ${ras(leaderNode)}`);
await new Promise((r) => setTimeout(r, 3_000));
say(`while it is down: ${await leaderOf()}`);
await reviveNode(ref, leaderNode);
say(`${leaderNode.name} restarted; Ra data dirs of the queue there: ${ras(leaderNode)}`);
const until = Date.now() + watchS * 1000;
let lastLine = '';
while (Date.now() < until) {
  const line = `${await leaderOf()} · ${await readOne()}`;
  if (line !== lastLine) say(line);
  lastLine = line;
  await new Promise((r) => setTimeout(r, 5_000));
}
say(`done; last: ${lastLine}`);
process.exit(0);
