import { describe, expect, it } from 'vitest';
import { BROKER_NAMES, buildEndpoint, endpointForRole } from '../../provision/endpoints.ts';
import { elasticmqConfig } from '../../provision/local/brokers/elasticmq.ts';
import {
  kafkaArtifacts,
  kafkaClusterId,
  kafkaServerProperties,
} from '../../provision/local/brokers/kafka.ts';
import { endpointsFor, parseOnly } from '../../provision/local/index.ts';
import { DEFAULT_PORTS, shiftPorts } from '../../provision/ports.ts';

describe('Kafka configuration', () => {
  const props = kafkaServerProperties({
    dataDir: '/d',
    bindHost: '127.0.0.1',
    clientPort: 19092,
    controllerPort: 19093,
    internalPort: 19094,
    advertisedHost: '127.0.0.1',
    advertisedPort: 9092,
  });

  it('advertises the Toxiproxy listener to clients, so they never bypass the proxy', () => {
    expect(props).toMatch(
      /^advertised\.listeners=PLAINTEXT:\/\/127\.0\.0\.1:9092,INTERNAL:\/\/127\.0\.0\.1:19094$/m,
    );
    expect(props).toMatch(/^listeners=PLAINTEXT:\/\/127\.0\.0\.1:19092,/m);
  });

  it('keeps the broker’s own traffic off the proxy', () => {
    expect(props).toMatch(/^inter\.broker\.listener\.name=INTERNAL$/m);
    expect(props).toMatch(/^controller\.quorum\.voters=1@127\.0\.0\.1:19093$/m);
  });

  it('is a single node: replication factors 1', () => {
    for (const key of [
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'transaction.state.log.min.isr',
    ]) {
      expect(props).toMatch(new RegExp(`^${key.replace(/\./g, '\\.')}=1$`, 'm'));
    }
  });

  it('logging dependencies follow the major version', () => {
    expect(kafkaArtifacts('3.9.2').map((a) => a.artifactId)).toContain('slf4j-reload4j');
    expect(kafkaArtifacts('4.4.0').map((a) => a.artifactId)).toContain('log4j-slf4j2-impl');
  });

  it('gives producers and consumers listeners of their own, each advertising its own proxy', () => {
    const withRoles = kafkaServerProperties({
      dataDir: '/d',
      bindHost: '127.0.0.1',
      clientPort: 19092,
      controllerPort: 19093,
      internalPort: 19094,
      advertisedHost: '127.0.0.1',
      advertisedPort: 9092,
      roles: {
        producers: { port: 19095, advertisedPort: 9095 },
        consumers: { port: 19096, advertisedPort: 9096 },
      },
    });
    expect(withRoles).toMatch(
      /^listeners=PLAINTEXT:\/\/127\.0\.0\.1:19092,PRODUCERS:\/\/127\.0\.0\.1:19095,CONSUMERS:\/\/127\.0\.0\.1:19096,INTERNAL:/m,
    );
    expect(withRoles).toMatch(
      /^advertised\.listeners=PLAINTEXT:\/\/127\.0\.0\.1:9092,PRODUCERS:\/\/127\.0\.0\.1:9095,CONSUMERS:\/\/127\.0\.0\.1:9096,INTERNAL:/m,
    );
    expect(withRoles).toMatch(
      /^listener\.security\.protocol\.map=.*PRODUCERS:PLAINTEXT,CONSUMERS:PLAINTEXT/m,
    );
  });

  it('cluster ids are 22 base64url characters', () => {
    expect(kafkaClusterId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('no cluster id begins with a dash, which kafka-storage would read as an option', () => {
    // One random id in 64 would: 2 000 draws catch that with near certainty.
    const ids = Array.from({ length: 2000 }, kafkaClusterId);
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    expect(ids.some((id) => id.includes('-'))).toBe(true); // still base64url, dashes elsewhere
  });
});

describe('ElasticMQ configuration', () => {
  it('queue URLs carry the proxy address (the AWS SDK follows them)', () => {
    const conf = elasticmqConfig({
      bindHost: '127.0.0.1',
      bindPort: 19324,
      advertisedHost: '127.0.0.1',
      advertisedPort: 9324,
      dataDir: '/d',
    });
    expect(conf).toMatch(/node-address \{\s+protocol = http\s+host = "127\.0\.0\.1"\s+port = 9324/);
    expect(conf).toMatch(/bind-port = 19324/);
    expect(conf).toMatch(/WRITE_DELAY=0/);
  });
});

describe('endpoints', () => {
  it('native endpoints point at the proxy and name it', () => {
    const kafka = endpointsFor('kafka', { env: {} });
    expect(kafka).toMatchObject({
      broker: 'kafka',
      brokers: ['127.0.0.1:9092'],
      proxied: true,
      toxiproxy: { apiUrl: 'http://127.0.0.1:8474', proxy: 'kafka' },
      upstream: { host: '127.0.0.1', port: 19092 },
    });
    expect(endpointsFor('rabbitmq', { env: {} }).url).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(endpointsFor('nats', { env: {} }).servers).toEqual(['nats://127.0.0.1:4222']);
    expect(endpointsFor('moto', { env: {} })).toMatchObject({ endpoint: 'http://127.0.0.1:5000', sns: true });
    expect(endpointsFor('elasticmq', { env: {} })).toMatchObject({
      endpoint: 'http://127.0.0.1:9324',
      sns: false,
    });
    expect(endpointsFor('pubsub', { env: {} })).toMatchObject({
      apiEndpoint: '127.0.0.1:8085',
      projectId: 'brokerproof',
    });
  });

  it('give producers and consumers their own proxy (Kafka: their own broker listener behind it)', () => {
    const kafka = endpointsFor('kafka', { env: {} });
    expect(kafka.roles?.producers).toMatchObject({
      brokers: ['127.0.0.1:9095'],
      toxiproxy: { apiUrl: 'http://127.0.0.1:8474', proxy: 'kafka-producers' },
      upstream: { port: 19095 },
    });
    expect(kafka.roles?.consumers).toMatchObject({
      brokers: ['127.0.0.1:9096'],
      toxiproxy: { proxy: 'kafka-consumers' },
      upstream: { port: 19096 },
    });
    const nats = endpointsFor('nats', { env: {} });
    expect(nats.roles?.consumers).toMatchObject({
      servers: ['nats://127.0.0.1:4224'],
      toxiproxy: { proxy: 'nats-consumers' },
      upstream: { port: 14222 },
    });
    expect(endpointsFor('rabbitmq', { env: {} }).roles?.producers.url).toBe(
      'amqp://guest:guest@127.0.0.1:5673',
    );
    expect(endpointsFor('elasticmq', { env: {} }).roles?.consumers.endpoint).toBe('http://127.0.0.1:9326');
    expect(endpointForRole(nats, 'admin')).toBe(nats);
    expect(endpointForRole(nats, 'producers').port).toBe(4223);
    expect(endpointForRole(buildEndpoint('nats', { host: 'h', port: 1 }), 'consumers').port).toBe(1);
  });

  it('follow a given port plan', () => {
    expect(endpointsFor('kafka', { ports: shiftPorts(DEFAULT_PORTS, 100) }).address).toBe('127.0.0.1:9192');
  });

  it('buildEndpoint without a proxy is not proxied', () => {
    for (const broker of BROKER_NAMES)
      expect(buildEndpoint(broker, { host: 'h', port: 1 }).proxied).toBe(false);
  });

  it('--only accepts a comma list and rejects unknown names', () => {
    expect(parseOnly('nats, kafka')).toEqual(['kafka', 'nats']);
    expect(parseOnly(undefined)).toEqual([...BROKER_NAMES]);
    expect(() => parseOnly('kafka,redis')).toThrow(/unknown broker: redis/);
  });
});
