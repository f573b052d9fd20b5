import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors.ts';
import { DEFAULT_PORTS, listPorts, portVariable, resolvePorts, shiftPorts } from '../../provision/ports.ts';
import { proxyLayout } from '../../provision/proxies.ts';
import { DEFAULT_VERSIONS, resolveVersions } from '../../provision/versions.ts';

describe('port plan', () => {
  it('defaults: clients on the usual ports (Toxiproxy), brokers on +10000', () => {
    const plan = resolvePorts({});
    expect(plan).toEqual(DEFAULT_PORTS);
    expect(plan.kafka).toMatchObject({ proxy: 9092, upstream: 19092 });
    expect(plan.rabbitmq).toMatchObject({ proxy: 5672, upstream: 15672 });
    expect(plan.toxiproxy).toBe(8474);
    expect(new Set(listPorts(plan).map((p) => p.port)).size).toBe(listPorts(plan).length);
  });

  it('every port is overridable from the environment', () => {
    const plan = resolvePorts({
      BROKERPROOF_KAFKA_PORT: '29092',
      BROKERPROOF_KAFKA_UPSTREAM_PORT: '39092',
      BROKERPROOF_KAFKA_CONTROLLER_PORT: '39093',
      BROKERPROOF_RABBITMQ_EPMD_PORT: '24369',
      BROKERPROOF_TOXIPROXY_PORT: '18474',
      BROKERPROOF_PUBSUB_PORT: '28085',
    });
    expect(plan.kafka).toMatchObject({ proxy: 29092, upstream: 39092, controller: 39093 });
    expect(plan.rabbitmq.epmd).toBe(24369);
    expect(plan.toxiproxy).toBe(18474);
    expect(plan.pubsub.proxy).toBe(28085);
  });

  it('producers and consumers have proxies of their own; Kafka listeners of its own behind them', () => {
    const plan = resolvePorts({
      BROKERPROOF_NATS_CONSUMERS_PORT: '24224',
      BROKERPROOF_KAFKA_PRODUCERS_LISTENER_PORT: '29095',
    });
    expect(plan.nats).toMatchObject({ proxy: 4222, producers: 4223, consumers: 24224 });
    expect(plan.kafka).toMatchObject({ producers: 9095, consumers: 9096, producersListener: 29095 });
    expect(portVariable('kafka', 'consumersListener')).toBe('BROKERPROOF_KAFKA_CONSUMERS_LISTENER_PORT');
    expect(proxyLayout(DEFAULT_PORTS, 'kafka')).toEqual([
      { name: 'kafka', role: undefined, listen: 9092, upstream: 19092 },
      { name: 'kafka-producers', role: 'producers', listen: 9095, upstream: 19095 },
      { name: 'kafka-consumers', role: 'consumers', listen: 9096, upstream: 19096 },
    ]);
    expect(proxyLayout(DEFAULT_PORTS, 'rabbitmq').map((p) => [p.name, p.listen, p.upstream])).toEqual([
      ['rabbitmq', 5672, 15672],
      ['rabbitmq-producers', 5673, 15672],
      ['rabbitmq-consumers', 5674, 15672],
    ]);
  });

  it('rejects a value that is not a port, naming the variable', () => {
    expect(() => resolvePorts({ BROKERPROOF_NATS_PORT: 'abc' })).toThrow(UsageError);
    expect(() => resolvePorts({ BROKERPROOF_NATS_PORT: '70000' })).toThrow(
      /BROKERPROOF_NATS_PORT=70000 is not a TCP port/,
    );
  });

  it('rejects two services on one port', () => {
    expect(() => resolvePorts({ BROKERPROOF_NATS_PORT: '9092' })).toThrow(
      /port 9092 is configured twice \(kafka.proxy and nats.proxy\)/,
    );
  });

  it('shifts a whole plan (isolated test sets)', () => {
    const shifted = shiftPorts(DEFAULT_PORTS, 100);
    expect(shifted.kafka.proxy).toBe(9192);
    expect(shifted.rabbitmq.epmd).toBe(14469);
    expect(shifted.toxiproxy).toBe(8574);
    expect(DEFAULT_PORTS.kafka.proxy).toBe(9092);
  });
});

describe('versions', () => {
  it('defaults, and overrides from the environment', () => {
    expect(resolveVersions({})).toEqual(DEFAULT_VERSIONS);
    const v = resolveVersions({ BROKERPROOF_KAFKA_VERSION: '3.9.2', BROKERPROOF_NATS_VERSION: '2.10.29' });
    expect(v.kafka).toBe('3.9.2');
    expect(v.nats).toBe('v2.10.29');
  });

  it('rejects something that is not a version', () => {
    expect(() => resolveVersions({ BROKERPROOF_KAFKA_VERSION: '4.0; rm -rf /' })).toThrow(
      /BROKERPROOF_KAFKA_VERSION=.* is not a version/,
    );
  });
});
