/**
 * Experiment behind docs/findings.md "RabbitMQ classic": does a durable classic queue keep its
 * confirmed persistent messages across a power loss of its node? A dedicated RabbitMQ on lossyfs:
 * declare the queue, make the disk durable (as a case does before its load), publish N persistent
 * messages and wait for every confirm, optionally consume some, cut the power (kill -9, drop every
 * unsynced write), power on and count what the queue holds. Prints what lossyfs dropped and the
 * broker's log lines about the queue's recovery.
 *
 * Usage (root, /dev/fuse, brokers' toxiproxy not needed):
 *   node --import tsx scripts/experiments/classic-power-loss.ts [messages=200] [consume=0] [--sync-after-declare=no]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { startDedicated } from '../../provision/local/dedicated.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const messages = Number(args[0] ?? 200);
const consume = Number(args[1] ?? 0);
const syncAfterDeclare = !process.argv.includes('--sync-after-declare=no');
const queue = `bp-classic-exp-${Date.now()}`;

const broker = await startDedicated({ broker: 'rabbitmq', lossy: true, log: (l) => console.error(l) });
try {
  const url = (broker.endpoint as unknown as { url: string }).url;
  let conn = await amqp.connect(url);
  let ch = await conn.createConfirmChannel();
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
  if (syncAfterDeclare) await broker.mount?.sync();
  for (let i = 0; i < messages; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`), { persistent: true });
  await ch.waitForConfirms();
  console.log(`published and confirmed ${messages}`);
  if (consume > 0) {
    await ch.prefetch(consume);
    let got = 0;
    await new Promise<void>((resolve) => {
      void ch.consume(queue, (m) => {
        if (!m) return;
        ch.ack(m);
        if (++got === consume) resolve();
      });
    });
    await new Promise((r) => setTimeout(r, 200));
    console.log(`consumed and acked ${consume}`);
  }
  const before = await ch.checkQueue(queue);
  console.log(`queue holds ${before.messageCount} before the power loss`);
  await conn.close().catch(() => {});
  const outcome = await broker.powerOff();
  console.log(`dropped: ${JSON.stringify(outcome.summary)}`);
  await broker.powerOn();
  conn = await amqp.connect(url);
  ch = await conn.createConfirmChannel();
  try {
    const after = await ch.checkQueue(queue);
    console.log(`queue holds ${after.messageCount} after the power loss (expected ${before.messageCount})`);
  } catch (error) {
    console.log(`queue gone after the power loss: ${(error as Error).message}`);
  }
  await conn.close().catch(() => {});
  for (const file of walk(broker.root)) {
    if (!file.endsWith('.log') || !/rabbit/i.test(file)) continue;
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /queue|recover|index|msg_store|mnesia/i.test(l) && !/info.*Ready/i.test(l));
    console.log(`--- ${file} (${lines.length} lines about queues and recovery, last 40)`);
    console.log(lines.slice(-40).join('\n'));
  }
} finally {
  await broker.close();
}

function* walk(dir: string): Generator<string> {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    try {
      if (statSync(path).isDirectory()) yield* walk(path);
      else yield path;
    } catch {}
  }
}
