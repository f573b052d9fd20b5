/**
 * SNS → HTTP endpoints on moto (`--driver sqs --setup sns-http-fanout`): the shared HTTP push
 * consumer as SNS subscribers, and what moto does with an endpoint that fails — measured here,
 * documented in docs/drivers/sqs.md (moto: one POST inside Publish, answer ignored, never retried).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../../drivers/driver.ts';
import { createDriver } from '../../drivers/index.ts';
import { decodeSnsHttp, envelopeOf } from '../../drivers/sqs/sns-http.ts';
import type { SqsEndpoint } from '../../provision/endpoints.ts';
import { placementOf, requireBroker } from '../helpers/brokers.ts';
import { caseRunner } from '../helpers/run-on.ts';

let endpoint: SqsEndpoint;
let driver: Driver;
let sns: SNSClient;

beforeAll(async () => {
  endpoint = await requireBroker('moto');
  driver = await createDriver('sqs', { sqs: { implementation: 'moto' } }, placementOf('moto'));
  sns = new SNSClient({
    endpoint: endpoint.endpoint,
    region: endpoint.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}, 300_000);

afterAll(async () => {
  sns?.destroy();
  await driver?.close();
});

const runOn = caseRunner(
  () => driver,
  () => ({ sqs: { implementation: 'moto' } }),
  { isolation: 'inline', messages: 40 },
);

/** An HTTP endpoint answering `status`, keeping every request it got. */
async function endpointAnswering(status: number) {
  const got: { at: number; headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ at: Date.now(), headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { got, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function topicWith(name: string, url: string): Promise<string> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `bp-sns-http-${name}-${Date.now()}` }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: url }));
  return TopicArn!;
}

describe('sns-http-fanout on moto', () => {
  it('fan-out holds at-most-once through consumer crashes: what a dead endpoint held is lost, never duplicated', async () => {
    const [c] = await runOn('sns-http-fanout', 'fan-out', {
      runs: 1,
      seed: 2,
      minCrashes: 1,
      crashPoints: ['after-process'],
    });
    expect(c!.guarantee.delivery).toBe('at-most-once');
    expect(c!.valid).toBe(true);
    expect(c!.crashes.length).toBeGreaterThan(0);
    expect(c!.counts.duplicated + c!.counts.redelivered).toBe(0);
  }, 120_000);

  it('claimed at-least-once, the same crashes lose messages: lost > 0', async () => {
    const [c] = await runOn('sns-http-fanout', 'fan-out', {
      runs: 1,
      seed: 2,
      minCrashes: 1,
      crashPoints: ['before-process'],
      override: { delivery: 'at-least-once' },
    });
    expect(c!.valid).toBe(false);
    expect(c!.counts.lost).toBeGreaterThan(0);
  }, 120_000);

  it('fan-out without faults loses nothing: every group processes every message', async () => {
    const [c] = await runOn('sns-http-fanout', 'fan-out', { runs: 1, faults: [] });
    expect(c!.valid).toBe(true);
    expect(c!.counts.lost).toBe(0);
    expect(Object.keys(c!.groups).length).toBe(c!.workload.groups);
  }, 120_000);

  it('moto POSTs a non-2xx-answering endpoint once and never again; no confirmation, no MessageAttributes', async () => {
    const failing = await endpointAnswering(500);
    const arn = await topicWith('500', failing.url);
    try {
      const started = Date.now();
      await sns.send(
        new PublishCommand({
          TopicArn: arn,
          Message: envelopeOf({ id: 'm1', poison: false, payload: Buffer.from('x') }),
          MessageAttributes: { 'bp-id': { DataType: 'String', StringValue: 'm1' } },
        }),
      );
      // The POST was made inside Publish: it is there when Publish returns.
      expect(failing.got.length).toBe(1);
      expect(failing.got[0]!.at).toBeGreaterThanOrEqual(started);
      await new Promise((r) => setTimeout(r, 3_000));
      expect(failing.got.length).toBe(1);
      const body = JSON.parse(failing.got[0]!.body) as Record<string, unknown>;
      expect(body.Type).toBe('Notification');
      expect(body.MessageAttributes).toBeUndefined();
      expect(decodeSnsHttp(Buffer.from(failing.got[0]!.body), failing.got[0]!.headers)).toMatchObject({
        kind: 'message',
        message: { id: 'm1', payload: Buffer.from('x') },
      });
    } finally {
      await failing.close();
      await sns.send(new DeleteTopicCommand({ TopicArn: arn }));
    }
  }, 30_000);

  it('moto with nothing listening at the endpoint: Publish fails, PublishBatch reports the entry neither sent nor failed', async () => {
    const gone = await endpointAnswering(200);
    await gone.close();
    const arn = await topicWith('refused', gone.url);
    try {
      const single = await sns.send(new PublishCommand({ TopicArn: arn, Message: 'x' })).then(
        () => 'ok',
        (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode,
      );
      expect(single).toBe(500);
      const batch = await sns.send(
        new PublishBatchCommand({ TopicArn: arn, PublishBatchRequestEntries: [{ Id: '0', Message: 'x' }] }),
      );
      expect(batch.Successful ?? []).toEqual([]);
      expect(batch.Failed ?? []).toEqual([]);
    } finally {
      await sns.send(new DeleteTopicCommand({ TopicArn: arn }));
    }
  }, 30_000);
});
