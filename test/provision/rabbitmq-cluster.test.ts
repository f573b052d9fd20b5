import { describe, expect, it } from 'vitest';
import { NodeCursor, startIndex } from '../../drivers/rabbitmq/connection.ts';
import { RabbitmqDriver } from '../../drivers/rabbitmq/rabbitmq-driver.ts';
import { planNetwork } from '../../provision/cluster/network.ts';
import {
  memberView,
  rabbitmqCluster,
  rabbitmqNodeConfig,
  rabbitmqNodeEnv,
  rabbitNodeName,
} from '../../provision/cluster/rabbitmq-cluster.ts';

const net = planNetwork('rabbitmq', 3);
const layout = { broker: 'rabbitmq' as const, nodes: net.nodes };
const [n1, n2] = net.nodes as [(typeof net.nodes)[number], (typeof net.nodes)[number]];

describe('a RabbitMQ cluster node', () => {
  it('is named by its address (long names) and keeps everything in its own directory', () => {
    expect(rabbitNodeName(n1)).toBe('rabbit@10.213.0.31');
    const env = rabbitmqNodeEnv(n2, '/c/n2');
    expect(env).toMatchObject({
      HOME: '/c/n2',
      RABBITMQ_NODENAME: 'rabbit@10.213.0.32',
      RABBITMQ_USE_LONGNAME: 'true',
      RABBITMQ_MNESIA_BASE: '/c/n2/mnesia',
      RABBITMQ_CONFIG_FILE: '/c/n2/rabbitmq.conf',
      RABBITMQ_CONF_ENV_FILE: '/c/n2/rabbitmq-env.conf',
    });
  });

  it('listens on its own address, pauses in a minority, and joins its peers', () => {
    const config = rabbitmqNodeConfig(layout, n2).split('\n');
    expect(config).toContain('listeners.tcp.1 = 10.213.0.32:5672');
    expect(config).toContain('management.tcp.ip = 10.213.0.32');
    expect(config).toContain('loopback_users = none');
    expect(config).toContain('cluster_partition_handling = pause_minority');
    expect(config).toContain('net_ticktime = 10');
    expect(config.filter((l) => l.startsWith('cluster_formation.classic_config.nodes.'))).toEqual([
      'cluster_formation.classic_config.nodes.1 = rabbit@10.213.0.31',
      'cluster_formation.classic_config.nodes.2 = rabbit@10.213.0.32',
      'cluster_formation.classic_config.nodes.3 = rabbit@10.213.0.33',
    ]);
    // The first node founds the cluster: it lists only itself, so it does not wait for peers.
    expect(rabbitmqNodeConfig(layout, n1)).toMatch(/nodes\.1 = rabbit@10\.213\.0\.31\n\n?$/);
    expect(rabbitmqNodeConfig(layout, n1)).not.toContain('10.213.0.32');
  });

  it('sees which members it lists as not running, itself and a majority', () => {
    const all = net.nodes.map((n) => ({ name: rabbitNodeName(n), running: true }));
    expect(memberView(layout, n1, all)).toEqual({ missing: [], self: true, majority: true });
    const n3Down = [all[0]!, all[1]!, { ...all[2]!, running: false }];
    expect(memberView(layout, n1, n3Down)).toEqual({ missing: [net.nodes[2]], self: true, majority: true });
    // Alone of three (the others killed, or n1 paused): no majority.
    const alone = [all[0]!, { ...all[1]!, running: false }];
    expect(memberView(layout, n1, alone)).toMatchObject({ self: true, majority: false });
    expect(memberView(layout, n2, alone)).toMatchObject({ self: false });
  });

  it('gives clients every node, the first one first', () => {
    const endpoint = rabbitmqCluster.endpoint(layout);
    expect(endpoint.broker).toBe('rabbitmq');
    if (endpoint.broker !== 'rabbitmq') return;
    expect(endpoint.url).toBe('amqp://guest:guest@10.213.0.31:5672');
    expect(endpoint.urls).toEqual([
      'amqp://guest:guest@10.213.0.31:5672',
      'amqp://guest:guest@10.213.0.32:5672',
      'amqp://guest:guest@10.213.0.33:5672',
    ]);
  });
});

describe('RabbitMQ clients on a cluster', () => {
  it('move to the next node when theirs fails, and try every node once per connection', async () => {
    // Nothing listens on port 1 of loopback: each attempt is refused at once.
    const urls = ['amqp://127.0.0.1:1/a', 'amqp://127.0.0.1:1/b', 'amqp://127.0.0.1:1/c'];
    const cursor = new NodeCursor(urls, 1);
    await expect(cursor.open({ timeoutMs: 2_000, name: 't' })).rejects.toThrow(/127\.0\.0\.1:1\/a/);
    // The last error is the last node tried: b, c, then a.
    cursor.moveOn();
    await expect(cursor.open({ timeoutMs: 2_000, name: 't' })).rejects.toThrow(/127\.0\.0\.1:1\/b/);
  });

  it('spread over the nodes by name', () => {
    // The run's producers and consumers of one case do not all start on one node.
    expect(new Set(['producer-0', 'producer-1', 'producer-2'].map((n) => startIndex(n, 3))).size).toBe(3);
    expect(new Set(['consumer-0', 'consumer-1', 'consumer-2'].map((n) => startIndex(n, 3))).size).toBe(3);
    expect(startIndex(4, 3)).toBe(1);
  });
});

describe('the cluster setups', () => {
  it('are unavailable on a single node, with how to get a cluster', () => {
    const single = new RabbitmqDriver({ url: 'amqp://guest:guest@127.0.0.1:5672' });
    for (const name of ['quorum-cluster', 'classic-cluster'])
      expect(single.setups.find((s) => s.name === name)?.unavailable).toMatch(
        /brokers up --cluster 3 --only rabbitmq/,
      );
    expect(single.setups.find((s) => s.name === 'quorum')?.unavailable).toBeUndefined();
    const cluster = new RabbitmqDriver({
      url: 'amqp://guest:guest@10.213.0.31:5672',
      cluster: { urls: [], nodes: net.nodes },
    });
    expect(cluster.setups.find((s) => s.name === 'quorum-cluster')?.unavailable).toBeUndefined();
  });
});
