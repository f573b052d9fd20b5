/** The PostgreSQL store as provisioning sees it — ports, proxy, endpoints, config, fault targets — without a server. */
import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../cli/commands/brokers.ts';
import { ConfigError } from '../../core/errors.ts';
import { DockerProvisioner } from '../../provision/docker/testcontainers.ts';
import { MESSAGE_BROKER_NAMES, STORE_NAMES } from '../../provision/endpoints.ts';
import { externalEndpoints, requireExternal } from '../../provision/external.ts';
import { endpointsFor, type StatusReport } from '../../provision/local/index.ts';
import { DEFAULT_PORTS, resolvePorts, shiftPorts } from '../../provision/ports.ts';
import { proxyLayout } from '../../provision/proxies.ts';
import { provisionStore, storeEndpoint, storeFaultTargets } from '../../provision/store.ts';

describe('the PostgreSQL store, provisioned like a broker', () => {
  it('has ports of its own, clear of every broker and of a system PostgreSQL on 5432', () => {
    expect(DEFAULT_PORTS.postgres).toEqual({ proxy: 5433, upstream: 15433 });
    expect(resolvePorts({ BROKERPROOF_POSTGRES_PORT: '6543' }).postgres.proxy).toBe(6543);
    expect(resolvePorts({ BROKERPROOF_POSTGRES_UPSTREAM_PORT: '16543' }).postgres.upstream).toBe(16543);
    expect(() => resolvePorts({ BROKERPROOF_POSTGRES_PORT: '5672' })).toThrow(/configured twice/);
    expect(shiftPorts(DEFAULT_PORTS, 100).postgres).toEqual({ proxy: 5533, upstream: 15533 });
  });

  it('has one Toxiproxy proxy, no per-role ones, and is never a driver broker', () => {
    expect(proxyLayout(DEFAULT_PORTS, 'postgres')).toEqual([
      { name: 'postgres', role: undefined, listen: 5433, upstream: 15433 },
    ]);
    expect(STORE_NAMES).toEqual(['postgres']);
    expect(MESSAGE_BROKER_NAMES).not.toContain('postgres');
  });

  it('native endpoint: the proxy, the brokerproof role and database, no password to hide', () => {
    const endpoint = endpointsFor('postgres', { env: {} });
    expect(endpoint).toMatchObject({
      broker: 'postgres',
      address: '127.0.0.1:5433',
      proxied: true,
      toxiproxy: { apiUrl: 'http://127.0.0.1:8474', proxy: 'postgres' },
      upstream: { host: '127.0.0.1', port: 15433 },
      connectionString: 'postgres://brokerproof@127.0.0.1:5433/brokerproof',
      redacted: 'postgres://brokerproof@127.0.0.1:5433/brokerproof',
    });
    expect(endpoint.roles).toBeUndefined();
    expect(storeFaultTargets(endpoint, true)).toEqual({ toxiproxy: endpoint.toxiproxy, broker: 'postgres' });
    expect(storeFaultTargets(endpoint, false).broker).toBeUndefined();
  });

  it('external: endpoints.postgres.url, the password kept out of every printable field', () => {
    const map = externalEndpoints({
      toxiproxy: { apiUrl: 'http://tp:8474' },
      postgres: { url: 'postgres://app:s3cret@db.internal:6432/orders', proxy: 'pg' },
    });
    const endpoint = storeEndpoint(map);
    expect(endpoint).toMatchObject({
      host: 'db.internal',
      port: 6432,
      address: 'db.internal:6432',
      proxied: true,
      toxiproxy: { apiUrl: 'http://tp:8474', proxy: 'pg' },
      connectionString: 'postgres://app:s3cret@db.internal:6432/orders',
      redacted: 'postgres://app:***@db.internal:6432/orders',
    });
    const { connectionString: _, ...printable } = endpoint;
    expect(JSON.stringify(printable)).not.toContain('s3cret');
    expect(storeEndpoint(externalEndpoints({ postgres: { url: 'postgresql://h/db' } }))).toMatchObject({
      port: 5432,
      proxied: false,
    });
  });

  it('external: a bad or missing URL is a config error that never echoes it', () => {
    const bad = (url: string) => () => externalEndpoints({ postgres: { url } });
    expect(bad('mysql://u:s3cret@h/db')).toThrow(/endpoints\.postgres\.url/);
    const error = (() => {
      try {
        bad('postgres://u:s3cret@[bad/db')();
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(`${error?.message} ${error?.hint} ${String(error?.cause ?? '')}`).not.toContain('s3cret');
    expect(() => requireExternal(externalEndpoints({}), 'postgres')).toThrow(/no endpoint for postgres/);
  });

  it('provisionStore asks the run’s provisioner for it and says how faults reach it', async () => {
    const endpoint = endpointsFor('postgres', { env: {} });
    const asked: string[][] = [];
    const placed = await provisionStore({
      kind: 'local',
      up: async (only) => {
        asked.push([...only]);
        return { postgres: endpoint };
      },
    });
    expect(asked).toEqual([['postgres']]);
    expect(placed).toEqual({
      endpoint,
      native: true,
      faultTargets: { toxiproxy: endpoint.toxiproxy, broker: 'postgres' },
    });
    await expect(provisionStore({ kind: 'external', up: async () => ({}) })).rejects.toThrow(
      /no PostgreSQL store was provisioned/,
    );
  });

  it('Docker refuses it with a clear error, before touching Docker', async () => {
    await expect(new DockerProvisioner({ env: {} }).up(['postgres'])).rejects.toThrow(
      'PostgreSQL under Docker is not supported yet; use --provision local or external',
    );
  });

  it('brokers status lists it as a store', () => {
    const status: StatusReport = {
      brokers: {
        postgres: {
          kind: 'store',
          up: true,
          endpoint: '127.0.0.1:5433',
          proxied: true,
          version: '15.18',
          pid: 42,
          paused: false,
          upstream: '127.0.0.1:15433',
          proxyEnabled: true,
          log: null,
        },
      },
      toxiproxy: { up: true, endpoint: 'http://127.0.0.1:8474', version: 'v2.12.0', pid: 7, proxies: [] },
    };
    expect(formatStatus(status)).toMatch(
      /^postgres \(store\)\s+up\s+127\.0\.0\.1:5433 \(toxiproxy\)\s+127\.0\.0\.1:15433\s+15\.18/m,
    );
  });
});
