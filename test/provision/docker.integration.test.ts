/**
 * The Docker path, opt in with BROKERPROOF_DOCKER_TESTS=1: starts dockerd if none answers (Debian's
 * docker.io), builds the images locally (debootstrap base + the native path's jars and binaries; the
 * first build takes minutes), starts every message broker (PostgreSQL has no image yet) and Toxiproxy with the testcontainers provisioner on
 * ports shifted by +300 (BROKERPROOF_DOCKER_TEST_PORT_OFFSET; so native brokers may run beside it), and proves each proxy is in the path.
 * Ryuk is disabled: its image would have to be pulled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerdHandle, ensureDockerd } from '../../provision/docker/dockerd.ts';
import { DockerProvisioner } from '../../provision/docker/testcontainers.ts';
import { type BrokerName, MESSAGE_BROKER_NAMES } from '../../provision/endpoints.ts';
import { run } from '../../provision/local/exec.ts';
import { resolvePaths } from '../../provision/local/paths.ts';
import { resolvePorts, shiftPorts } from '../../provision/ports.ts';
import { proveProxyInPath, proveRolesSeparate } from './proxy-checks.ts';

const enabled = process.env.BROKERPROOF_DOCKER_TESTS === '1';

describe.runIf(enabled)('Docker brokers (testcontainers) behind Toxiproxy', { timeout: 120_000 }, () => {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  // Always printed: when a container fails to start, its last lines are the only evidence left.
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const ports = shiftPorts(resolvePorts({}), Number(process.env.BROKERPROOF_DOCKER_TEST_PORT_OFFSET ?? 300));
  const provisioner = new DockerProvisioner({ ports, log });
  let dockerd: DockerdHandle | undefined;

  beforeAll(async () => {
    dockerd = await ensureDockerd(resolvePaths(), log);
    await provisioner.up(MESSAGE_BROKER_NAMES);
  }, 45 * 60_000);

  afterAll(async () => {
    await provisioner.down();
    await dockerd?.stop();
  }, 120_000);

  describe.each(MESSAGE_BROKER_NAMES.map((b) => [b]))('%s', (broker: BrokerName) => {
    it('round trip through the proxy; latency toxic slows it; disabled proxy fails it; re-enabling restores it', async () => {
      const endpoint = provisioner.endpoint(broker);
      expect(endpoint.port).toBe(ports[broker].proxy);
      await proveProxyInPath(endpoint);
    });

    it('producers and consumers through proxies of their own: cutting one leaves the others working', async () => {
      await proveRolesSeparate(provisioner.endpoint(broker));
    });
  });

  it('down removes every container it started', async () => {
    await provisioner.down();
    const left = await run('docker', ['ps', '-q', '--filter', 'label=dev.brokerproof']);
    expect(left.output.trim()).toBe('');
  });
});
