import { describe, expect, it } from 'vitest';
import { brokerFor, createDriver } from '../../drivers/index.ts';
import {
  endpointFor,
  type PubsubDescriptor,
  resourceName,
  viaDescriptor,
} from '../../drivers/pubsub/descriptor.ts';
import { orderingKeyOf, readAttributes } from '../../drivers/pubsub/messages.ts';
import { ackFailure, acknowledged, publishFailure } from '../../drivers/pubsub/outcomes.ts';
import { durationOf } from '../../drivers/pubsub/pubsub-driver.ts';
import { pubsubSettings } from '../../drivers/pubsub/settings.ts';
import { Nemesis } from '../../faults/nemesis.ts';
import { buildEndpoint } from '../../provision/endpoints.ts';
import { pubsubUnavailable } from '../../provision/local/brokers/pubsub.ts';

const grpcError = (code: number, message = 'boom') => Object.assign(new Error(message), { code });

describe('pubsub outcomes', () => {
  it('a publish refused by the server or the client is fail; a timeout or lost connection is info', () => {
    expect(publishFailure(grpcError(5, 'topic not found'))).toEqual({
      status: 'fail',
      error: 'topic not found',
    });
    expect(publishFailure(grpcError(3))).toMatchObject({ status: 'fail' });
    expect(publishFailure(grpcError(4, 'deadline'))).toEqual({ status: 'info', error: 'gRPC 4: deadline' });
    expect(publishFailure(grpcError(14))).toMatchObject({ status: 'info' });
    expect(publishFailure(new Error('no answer to the publish within 5000 ms'))).toMatchObject({
      status: 'info',
    });
    // A paused ordering key: the client sent nothing.
    expect(
      publishFailure(new Error('Unable to publish for key "k". Call `resumePublishing` to continue.')),
    ).toMatchObject({ status: 'fail' });
  });

  it('an ack is confirmed only on exactly-once subscriptions', () => {
    expect(acknowledged(true, 'ack')).toEqual({ status: 'ok' });
    expect(acknowledged(false, 'ack')).toMatchObject({ status: 'info' });
  });

  it('AckError codes: refused (INVALID, FAILED_PRECONDITION, PERMISSION_DENIED) is fail, OTHER and given-up retries are info', () => {
    const ackError = (errorCode: string, message = 'x') => Object.assign(new Error(message), { errorCode });
    expect(ackFailure(ackError('INVALID'))).toMatchObject({ status: 'fail' });
    expect(ackFailure(ackError('FAILED_PRECONDITION'))).toMatchObject({ status: 'fail' });
    expect(ackFailure(ackError('PERMISSION_DENIED'))).toMatchObject({ status: 'fail' });
    expect(ackFailure(ackError('OTHER'))).toMatchObject({ status: 'info' });
    expect(ackFailure(ackError('INVALID', 'Retried for too long'))).toMatchObject({ status: 'info' });
    expect(ackFailure(new Error('socket hang up'))).toMatchObject({ status: 'info' });
  });
});

describe('pubsub messages and names', () => {
  it('reads id, key, poison and the dead-letter delivery count from attributes', () => {
    expect(
      readAttributes({
        'bp-id': 'm1',
        'bp-key': 'k',
        'bp-poison': '1',
        CloudPubSubDeadLetterSourceDeliveryCount: '5',
      }),
    ).toEqual({ id: 'm1', key: 'k', poison: true, deadLetterCount: 5 });
    expect(readAttributes({ 'bp-id': 'm2' })).toEqual({
      id: 'm2',
      key: undefined,
      poison: false,
      deadLetterCount: undefined,
    });
  });

  it('unkeyed messages share one ordering key (an empty key would not be ordered at all)', () => {
    expect(orderingKeyOf(undefined)).toBe('_');
    expect(orderingKeyOf('')).toBe('_');
    expect(orderingKeyOf('k1')).toBe('k1');
  });

  it('resource names keep to Pub/Sub’s alphabet and length', () => {
    expect(resourceName('case 1/x', 'ab12', 's', 'email-service')).toBe('bp-case_1_x-ab12-s-email-service');
    expect(resourceName('x'.repeat(300)).length).toBe(255);
  });

  it('durations split into seconds and nanos', () => {
    expect(durationOf(200)).toEqual({ seconds: 0, nanos: 200_000_000 });
    expect(durationOf(2500)).toEqual({ seconds: 2, nanos: 500_000_000 });
  });

  it('a consumer handed an address sends everything there; producers keep theirs', () => {
    const d = {
      endpoints: { admin: 'h:8085', roles: { producers: 'h:8086', consumers: 'h:8087' } },
    } as unknown as PubsubDescriptor;
    const via = viaDescriptor(d, { host: 'h', port: 9999 });
    expect(endpointFor(via, 'consumers')).toBe('h:9999');
    expect(endpointFor(via, 'producers')).toBe('h:8086');
    expect(endpointFor(via, 'admin')).toBe('h:8085');
    expect(endpointFor({ endpoints: undefined } as unknown as PubsubDescriptor, 'consumers')).toBeUndefined();
  });
});

describe('pubsub driver without a broker', () => {
  it('settings: the emulator is provisioned unless an endpoint or a Google project is named', () => {
    expect(brokerFor('pubsub')).toBe('pubsub');
    expect(brokerFor('pubsub', { pubsub: { apiEndpoint: 'localhost:8681' } })).toBeUndefined();
    expect(brokerFor('pubsub', { pubsub: { projectId: 'my-project' } })).toBeUndefined();
    expect(pubsubSettings.safeParse({ ackDeadlineSeconds: 5 }).success).toBe(false);
    expect(pubsubSettings.safeParse({ apiEndpoint: 'http://x' }).success).toBe(false);
  });

  it('placed on the emulator: network faults through its proxies, no broker faults (state in memory only)', async () => {
    const proxy = (name: string) => ({ apiUrl: 'http://127.0.0.1:8474', proxy: name });
    const endpoint = buildEndpoint('pubsub', {
      host: '127.0.0.1',
      port: 8085,
      toxiproxy: proxy('pubsub'),
      roles: {
        producers: { port: 8086, toxiproxy: proxy('pubsub-producers') },
        consumers: { port: 8087, toxiproxy: proxy('pubsub-consumers') },
      },
    });
    const driver = await createDriver('pubsub', {}, { endpoint, native: true });
    const targets = { ...driver.faultTargets, perConsumer: driver.capabilities.consumerVia === true };
    expect(Nemesis.unsupported('partition', targets, 'consumers')).toBeUndefined();
    expect(Nemesis.unsupported('latency', targets, 'consumer')).toBeUndefined();
    expect(Nemesis.unsupported('broker-kill', targets)).toBeDefined();
    expect(Nemesis.unsupported('broker-pause', targets)).toBeDefined();
    // The drain waits an ack deadline and a margin: the emulator cannot count what is outstanding.
    expect(driver.capabilities.drainSettleMs).toBeGreaterThan(10_000);
  });

  it('every setup acknowledges manually; dead-letter claims 5 attempts; only fan-out and push fan out', async () => {
    const driver = await createDriver('pubsub');
    expect(driver.setups.map((s) => s.name)).toEqual([
      'pull',
      'ordering-keys',
      'dead-letter',
      'exactly-once-delivery',
      'fan-out',
      'push',
    ]);
    expect(driver.setups.every((s) => s.ackMode === 'manual')).toBe(true);
    expect(driver.setups.find((s) => s.name === 'dead-letter')!.claim.maxAttempts).toBe(5);
    expect(driver.setups.filter((s) => s.fanOut).map((s) => s.name)).toEqual(['fan-out', 'push']);
    const signal = new AbortController().signal;
    const setup = driver.setups[0]!;
    await expect(
      driver.createTopology(
        { caseId: 'c', setup, groups: ['default'], partitions: 1, seed: 1 },
        { signal, log: () => {} },
      ),
    ).rejects.toThrow(/without a broker/);
  });

  it('a machine without the emulator gets the reason its tests are skipped', () => {
    expect(pubsubUnavailable({ BROKERPROOF_PUBSUB_EMULATOR_DIR: '/nowhere' })).toMatch(
      /Pub\/Sub emulator was not found/,
    );
  });
});
