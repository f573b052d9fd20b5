import { describe, expect, it } from 'vitest';
import { KafkaDriver, topicConfigEntries } from '../../drivers/kafka/kafka-driver.ts';
import type { KafkaSetupOptions } from '../../drivers/kafka/setups.ts';
import {
  KAFKA_CLUSTER_JVM_OPTIONS,
  kafkaCluster,
  kafkaNodeId,
  kafkaNodeProperties,
} from '../../provision/cluster/kafka-cluster.ts';
import { planNetwork } from '../../provision/cluster/network.ts';
import type { KafkaEndpoint } from '../../provision/endpoints.ts';

/** server.properties as a map (the last value of a key wins, as in Java's Properties). */
function parse(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    map.set(line.slice(0, at), line.slice(at + 1));
  }
  return map;
}

describe('a Kafka cluster node', () => {
  const net = planNetwork('kafka', 3);
  const layout = { broker: 'kafka' as const, nodes: net.nodes };
  const props = net.nodes.map((n) => parse(kafkaNodeProperties(layout, n, `/data/${n.name}`)));

  it('takes its node.id from its name, and refuses other names', () => {
    expect(net.nodes.map(kafkaNodeId)).toEqual([1, 2, 3]);
    expect(props.map((p) => p.get('node.id'))).toEqual(['1', '2', '3']);
    expect(() => kafkaNodeId({ name: 'x1' })).toThrow(/n<id>/);
    expect(() => kafkaNodeId({ name: 'n0' })).toThrow(/n<id>/);
  });

  it('listens on its own bridge address, same ports everywhere, and votes with every node', () => {
    expect(props[1]!.get('listeners')).toBe('PLAINTEXT://10.213.0.22:9092,CONTROLLER://10.213.0.22:9093');
    expect(props[1]!.get('advertised.listeners')).toBe('PLAINTEXT://10.213.0.22:9092');
    const voters = '1@10.213.0.21:9093,2@10.213.0.22:9093,3@10.213.0.23:9093';
    expect(props.map((p) => p.get('controller.quorum.voters'))).toEqual([voters, voters, voters]);
    expect(props[0]!.get('process.roles')).toBe('broker,controller');
    expect(props[2]!.get('log.dirs')).toBe('/data/n3');
  });

  it('replicates internal topics three times with two in sync, and never elects uncleanly by default', () => {
    const p = props[0]!;
    expect(p.get('default.replication.factor')).toBe('3');
    expect(p.get('min.insync.replicas')).toBe('2');
    expect(p.get('offsets.topic.replication.factor')).toBe('3');
    expect(p.get('transaction.state.log.replication.factor')).toBe('3');
    expect(p.get('transaction.state.log.min.isr')).toBe('2');
    expect(p.get('unclean.leader.election.enable')).toBe('false');
    expect(p.get('auto.create.topics.enable')).toBe('false');
  });

  it('fences a silent node within seconds and keeps heartbeats well inside the session', () => {
    const p = props[0]!;
    const session = Number(p.get('broker.session.timeout.ms'));
    const heartbeat = Number(p.get('broker.heartbeat.interval.ms'));
    expect(session).toBeLessThan(9000);
    expect(heartbeat * 3).toBeLessThanOrEqual(session);
    // A follower must fetch several times (replica.fetch.wait.max.ms 500) before it may be dropped.
    expect(Number(p.get('replica.lag.time.max.ms'))).toBeGreaterThanOrEqual(10 * 500);
  });

  it('shrinks the replication defaults to a smaller cluster', () => {
    const one = planNetwork('kafka', 1).nodes;
    const p = parse(kafkaNodeProperties({ broker: 'kafka', nodes: one }, one[0]!, '/d'));
    expect([p.get('default.replication.factor'), p.get('min.insync.replicas')]).toEqual(['1', '1']);
  });

  it('runs each JVM small, and gives clients every node', () => {
    expect(KAFKA_CLUSTER_JVM_OPTIONS).toContain('-Xmx384m');
    expect((kafkaCluster.endpoint(layout) as KafkaEndpoint).brokers).toEqual([
      '10.213.0.21:9092',
      '10.213.0.22:9092',
      '10.213.0.23:9092',
    ]);
  });
});

describe('the Kafka cluster setups', () => {
  const setup = (driver: KafkaDriver, name: string) => driver.setups.find((s) => s.name === name)!;

  it('are unavailable on a single node, with the command that starts a cluster', () => {
    const single = new KafkaDriver({ brokers: ['127.0.0.1:9092'] });
    for (const name of ['replicated', 'acks-1', 'unclean'])
      expect(setup(single, name).unavailable).toMatch(/brokers up --cluster 3 --only kafka/);
    expect(setup(single, 'commit-after-process').unavailable).toBeUndefined();
    const cluster = new KafkaDriver({ brokers: ['10.213.0.21:9092'], cluster: true });
    expect(setup(cluster, 'replicated').unavailable).toBeUndefined();
  });

  it('claim what their acks and elections give', () => {
    const driver = new KafkaDriver({ brokers: [] });
    expect(setup(driver, 'replicated').claim.delivery).toBe('at-least-once');
    expect(setup(driver, 'acks-1').claim.delivery).toBe('at-most-once');
    expect(setup(driver, 'unclean').claim.delivery).toBe('at-most-once');
    expect(setup(driver, 'acks-1').description).toMatch(/acknowledged record/);
  });

  it('set their replication configs on the topic at creation', () => {
    const driver = new KafkaDriver({ brokers: [] });
    const entries = (name: string) =>
      topicConfigEntries(setup(driver, name).options as unknown as KafkaSetupOptions);
    expect(entries('replicated')).toEqual([{ name: 'min.insync.replicas', value: '2' }]);
    expect(entries('unclean')).toEqual([
      { name: 'min.insync.replicas', value: '1' },
      { name: 'unclean.leader.election.enable', value: 'true' },
    ]);
    expect(entries('commit-after-process')).toEqual([]);
  });
});
