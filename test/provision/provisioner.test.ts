import { describe, expect, it } from 'vitest';
import { BrokerUnavailableError, ConfigError, UsageError } from '../../core/errors.ts';
import { externalEndpoints } from '../../provision/external.ts';
import {
  chooseProvisioner,
  type ProvisionProbes,
  parseProvisionMode,
  resolveProvisioner,
} from '../../provision/provisioner.ts';

const probes = (p: Partial<{ docker: boolean; running: boolean; possible: boolean }>): ProvisionProbes => ({
  dockerAnswers: async () => p.docker ?? false,
  nativeRunning: async () => p.running ?? false,
  nativePossible: () => p.possible ?? true,
});

describe('--provision resolution', () => {
  it('explicit modes are taken as given', async () => {
    for (const mode of ['local', 'docker', 'external'] as const) {
      expect((await chooseProvisioner(mode, {}, probes({ docker: true }))).kind).toBe(mode);
    }
  });

  it('auto: native brokers already running win, then Docker, then native', async () => {
    expect((await chooseProvisioner('auto', {}, probes({ running: true, docker: true }))).kind).toBe('local');
    expect((await chooseProvisioner('auto', {}, probes({ docker: true }))).kind).toBe('docker');
    expect(await chooseProvisioner('auto', {}, probes({}))).toMatchObject({
      kind: 'local',
      reason: expect.stringMatching(/no Docker/),
    });
  });

  it('auto with no way to get brokers says how to get them', async () => {
    const error = await chooseProvisioner('auto', {}, probes({ possible: false })).catch((e) => e);
    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect(error.hint).toMatch(/--provision external/);
  });

  it('rejects an unknown mode', () => {
    expect(() => parseProvisionMode('cloud')).toThrow(UsageError);
    expect(parseProvisionMode(undefined)).toBe('auto');
  });

  it('external hands out the configured endpoints and starts nothing', async () => {
    const provisioner = await resolveProvisioner('external', {
      endpoints: {
        toxiproxy: { apiUrl: 'http://proxy.internal:8474' },
        kafka: { brokers: ['kafka-1.staging:9092', 'kafka-2.staging:9092'], proxy: 'kafka' },
        moto: { region: 'eu-west-1' },
      },
    });
    const map = await provisioner.up(['kafka', 'moto']);
    expect(map.kafka).toMatchObject({
      brokers: ['kafka-1.staging:9092', 'kafka-2.staging:9092'],
      proxied: true,
      host: 'kafka-1.staging',
    });
    expect(map.moto).toMatchObject({
      endpoint: undefined,
      credentials: undefined,
      region: 'eu-west-1',
      proxied: false,
    });
    await expect(provisioner.up(['nats'])).rejects.toThrow(/names no endpoint for nats/);
    await provisioner.down();
  });
});

describe('external endpoints config', () => {
  it('says which field is wrong', () => {
    expect(() => externalEndpoints({ kafka: { brokers: ['no-port'] } })).toThrow(
      /endpoints\.kafka\.brokers\.0: expected host:port/,
    );
    expect(() => externalEndpoints({ redis: {} })).toThrow(ConfigError);
  });

  it('roles give producers and consumers their own addresses and proxies', () => {
    const map = externalEndpoints({
      toxiproxy: { apiUrl: 'http://tp:8474' },
      nats: {
        servers: ['nats://n:4222'],
        proxy: 'nats',
        roles: {
          producers: { servers: ['nats://n:4223'], proxy: 'nats-p' },
          consumers: { servers: ['nats://n:4224'], proxy: 'nats-c' },
        },
      },
      kafka: { brokers: ['k:9092'] },
    });
    expect(map.nats?.roles?.producers).toMatchObject({
      servers: ['nats://n:4223'],
      port: 4223,
      toxiproxy: { apiUrl: 'http://tp:8474', proxy: 'nats-p' },
    });
    expect(map.nats?.roles?.consumers.toxiproxy?.proxy).toBe('nats-c');
    expect(map.kafka?.roles).toBeUndefined();
    expect(() =>
      externalEndpoints({ nats: { servers: ['nats://n:4222'], roles: { producers: { servers: [] } } } }),
    ).toThrow(/endpoints\.nats\.roles/);
  });

  it('a proxy name needs a Toxiproxy API', () => {
    expect(() => externalEndpoints({ nats: { servers: ['nats://n:4222'], proxy: 'nats' } })).toThrow(
      /endpoints.toxiproxy.apiUrl/,
    );
  });
});
