import { describe, expect, it } from 'vitest';
import { natsNodeConfig } from '../../provision/cluster/nats-cluster.ts';
import {
  bridgeCommands,
  cutCommands,
  healCommands,
  nodeDownCommands,
  nodeUpCommands,
  planNetwork,
  subnetOf,
} from '../../provision/cluster/network.ts';

const line = (commands: readonly (readonly string[])[]) => commands.map((c) => c.join(' '));

describe('the network of a cluster', () => {
  const net = planNetwork('nats', 3);

  it('gives each node a namespace and an address of its broker’s block', () => {
    expect(net.gateway).toBe('10.213.0.1');
    expect(net.nodes).toEqual([
      { name: 'n1', netns: 'bpc-nats-1', address: '10.213.0.11' },
      { name: 'n2', netns: 'bpc-nats-2', address: '10.213.0.12' },
      { name: 'n3', netns: 'bpc-nats-3', address: '10.213.0.13' },
    ]);
    expect(planNetwork('kafka', 3).nodes[0]!.address).toBe('10.213.0.21');
    expect(planNetwork('nats', 3, '172.30.9').gateway).toBe('172.30.9.1');
    // Link names are limited to 15 characters: the longest broker name must fit.
    expect(planNetwork('rabbitmq', 9).nodes[8]!.netns.length).toBeLessThanOrEqual(15);
  });

  it('refuses sizes and subnets it cannot lay out', () => {
    expect(() => planNetwork('nats', 0)).toThrow(/1 to 9/);
    expect(() => planNetwork('pubsub', 3)).toThrow(/no cluster addresses/);
    expect(() => subnetOf({ BROKERPROOF_CLUSTER_SUBNET: '10.1.2.0/24' })).toThrow(/first three octets/);
    expect(subnetOf({})).toBe('10.213.0');
  });

  it('creates the bridge once, keeping bridged frames out of the root namespace’s iptables', () => {
    expect(line(bridgeCommands(net, false))).toEqual([
      'ip link add bpc-br0 type bridge nf_call_iptables 0',
      'ip addr add 10.213.0.1/24 dev bpc-br0',
      'ip link set bpc-br0 up',
    ]);
    expect(line(bridgeCommands(net, true))).toEqual(['ip link set bpc-br0 up']);
  });

  it('joins a node to the bridge with a veth pair, and removes the veth before the namespace', () => {
    expect(line(nodeUpCommands(net, net.nodes[1]!))).toEqual([
      'ip netns add bpc-nats-2',
      'ip link add bpc-nats-2 type veth peer name eth0 netns bpc-nats-2',
      'ip link set bpc-nats-2 master bpc-br0 up',
      'ip -n bpc-nats-2 addr add 10.213.0.12/24 dev eth0',
      'ip -n bpc-nats-2 link set eth0 up',
      'ip -n bpc-nats-2 link set lo up',
    ]);
    expect(line(nodeDownCommands(net.nodes[1]!))).toEqual([
      'ip link del bpc-nats-2',
      'ip netns del bpc-nats-2',
    ]);
  });

  it('cuts links both ways by source address inside the namespaces, and heals by flushing', () => {
    const [n1, n2, n3] = net.nodes as [never, never, never];
    expect(line(cutCommands([n1], [n2, n3]))).toEqual([
      'ip netns exec bpc-nats-1 iptables -w -A INPUT -s 10.213.0.12 -j DROP',
      'ip netns exec bpc-nats-2 iptables -w -A INPUT -s 10.213.0.11 -j DROP',
      'ip netns exec bpc-nats-1 iptables -w -A INPUT -s 10.213.0.13 -j DROP',
      'ip netns exec bpc-nats-3 iptables -w -A INPUT -s 10.213.0.11 -j DROP',
    ]);
    // The gateway (clients in the root namespace) is never cut.
    expect(line(cutCommands([n1], [n2, n3])).join('\n')).not.toContain('10.213.0.1 ');
    expect(line(healCommands(net.nodes))).toEqual([
      'ip netns exec bpc-nats-1 iptables -w -F INPUT',
      'ip netns exec bpc-nats-2 iptables -w -F INPUT',
      'ip netns exec bpc-nats-3 iptables -w -F INPUT',
    ]);
  });

  it('configures a NATS node with routes to its peers only, on its own address', () => {
    const config = natsNodeConfig({ broker: 'nats', nodes: net.nodes }, net.nodes[0]!, '/data/n1');
    expect(config).toContain('server_name: "n1"');
    expect(config).toContain('listen: "10.213.0.11:4222"');
    expect(config).toContain('routes: ["nats-route://10.213.0.12:6222", "nats-route://10.213.0.13:6222"]');
    expect(config).toContain('store_dir: "/data/n1"');
  });
});
