import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../api/run.ts';
import { customEntries, resolveCustomSetups } from '../../config/custom-setups.ts';
import { parseConfig } from '../../config/load-config.ts';
import { ConfigError } from '../../core/errors.ts';
import type { Setup } from '../../drivers/driver.ts';
import type { RunResult } from '../../runner/run-result.ts';
import { cliProcess } from '../helpers/cli.ts';

const resolveOne = (entry: Record<string, unknown>): Setup =>
  resolveCustomSetups(customEntries(parseConfig({ setups: [entry] }).setups))[0]!;

describe('custom setups', () => {
  it('resolves the issue example: quorum queue, prefetch 200, x-delivery-limit 4, five attempts', () => {
    const setup = resolveOne({
      name: 'orders-queue',
      extends: 'rabbitmq/quorum',
      options: { prefetch: 200, queueArguments: { 'x-delivery-limit': 4 } },
      claim: { delivery: 'at-least-once', maxAttempts: 5 },
    });
    expect(setup).toMatchObject({
      name: 'orders-queue',
      extends: 'rabbitmq/quorum',
      claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 5 },
      ackMode: 'manual',
      options: {
        queueType: 'quorum',
        prefetch: 200,
        deliveryLimit: true,
        deadLetterStrategy: 'at-most-once',
        queueArguments: { 'x-delivery-limit': 4 },
      },
    });
  });

  it('derives the attempts from the delivery limit when the claim does not say', () => {
    expect(
      resolveOne({
        name: 'q',
        extends: 'rabbitmq/quorum',
        options: { queueArguments: { 'x-delivery-limit': 1 } },
      }).claim.maxAttempts,
    ).toBe(2);
    expect(
      resolveOne({ name: 'q', extends: 'memory/queue', options: { deliveryLimit: 6 } }).claim.maxAttempts,
    ).toBe(6);
    expect(
      resolveOne({
        name: 'q',
        extends: 'sqs/standard',
        options: { queueAttributes: { RedrivePolicy: { maxReceiveCount: 7 }, VisibilityTimeout: 9 } },
      }),
    ).toMatchObject({
      claim: { maxAttempts: 7 },
      options: { deadLetter: true, queueAttributes: { VisibilityTimeout: 9 } },
    });
  });

  it('turns kafka auto-commit with an interval into kafkajs autoCommit, one message at a time', () => {
    const setup = resolveOne({
      name: 'orders-log',
      extends: 'kafka/commit-after-process',
      options: {
        producer: { acks: -1, idempotent: true },
        consumer: {
          autoCommit: true,
          autoCommitInterval: 200,
          sessionTimeout: 10_000,
          heartbeatInterval: 1000,
        },
      },
    });
    expect(setup.options).toMatchObject({
      commit: 'auto',
      acks: -1,
      idempotent: true,
      consumer: { autoCommitInterval: 200, sessionTimeout: 10_000, heartbeatInterval: 1000 },
    });
    expect(setup.deliversInBatches).toBe(false);
    expect(setup.pipeline).toBeUndefined();
    expect(setup.claim).toMatchObject({ delivery: 'at-least-once', ordering: 'per-partition' });
  });

  it('weakens what the options weaken: noAck, acks=0, NATS without double acks', () => {
    expect(
      resolveOne({ name: 'a', extends: 'rabbitmq/quorum', options: { publisherConfirms: false } }),
    ).toMatchObject({ claim: { delivery: 'at-most-once' }, options: { publisherConfirms: false } });
    // Not mandatory keeps the claim (a binding is there in normal operation) and says what it risks.
    const loose = resolveOne({ name: 'a', extends: 'rabbitmq/quorum', options: { mandatory: false } });
    expect(loose).toMatchObject({ claim: { delivery: 'at-least-once' }, options: { mandatory: false } });
    expect(loose.description).toContain('a message that routes to no queue is confirmed and dropped');
    expect(resolveOne({ name: 'a', extends: 'rabbitmq/quorum', options: {} }).options).not.toHaveProperty(
      'mandatory',
    );
    expect(resolveOne({ name: 'a', extends: 'rabbitmq/quorum', options: { autoAck: true } })).toMatchObject({
      ackMode: 'on-delivery',
      claim: { delivery: 'at-most-once' },
    });
    expect(
      resolveOne({ name: 'a', extends: 'kafka/commit-after-process', options: { producer: { acks: 0 } } })
        .claim.delivery,
    ).toBe('at-most-once');
    expect(
      resolveOne({ name: 'a', extends: 'nats/jetstream-dedupe-double-ack', options: { doubleAck: false } }),
    ).toMatchObject({
      claim: { delivery: 'at-least-once' },
      claimBasis: 'configuration',
      vendorClaim: undefined,
    });
  });

  it.each([
    [
      { name: 'q', extends: 'rabbitmq/quorum', options: { queueArguments: { 'x-delivry-limit': 4 } } },
      /setups\.0\.options\.queueArguments: unknown option "x-delivry-limit" for rabbitmq\/quorum/,
    ],
    [
      { name: 'q', extends: 'rabbitmq/quorum', options: { prefetch: 0 } },
      /setups\.0\.options\.prefetch: Too small/,
    ],
    [
      {
        name: 'q',
        extends: 'rabbitmq/quorum',
        options: { queueArguments: { 'x-delivery-limit': 4 } },
        claim: { maxAttempts: 3 },
      },
      /setups\.0\.claim\.maxAttempts: options\.queueArguments\.x-delivery-limit dead-letters after 5 deliveries, not 3/,
    ],
    [
      { name: 'q', extends: 'rabbitmq/classic', options: { queueArguments: { 'x-delivery-limit': 2 } } },
      /setups\.0\.options\.queueArguments\.x-delivery-limit: only quorum queues have a delivery limit/,
    ],
    [
      {
        name: 'q',
        extends: 'rabbitmq/quorum-dlx-at-least-once',
        options: { queueArguments: { 'x-overflow': 'drop-head' } },
      },
      /setups\.0\.options\.queueArguments\.x-overflow: x-dead-letter-strategy at-least-once needs x-overflow reject-publish/,
    ],
    [
      { name: 'q', extends: 'rabbitmq/quorum', claim: { delivery: 'exactly-once' } },
      /setups\.0\.claim\.delivery: rabbitmq\/quorum gives at-least-once; it cannot claim exactly-once/,
    ],
    [
      {
        name: 'q',
        extends: 'rabbitmq/quorum',
        options: { autoAck: true },
        claim: { delivery: 'at-least-once' },
      },
      /setups\.0\.claim\.delivery: rabbitmq\/quorum with these options gives at-most-once/,
    ],
    [
      { name: 'q', extends: 'rabbitmq/quorum', claim: { ordering: 'total' } },
      /setups\.0\.claim\.ordering: .* cannot claim total/,
    ],
    [
      { name: 'q', extends: 'memory/queue', claim: { maxAttempts: 3 } },
      /setups\.0\.claim\.maxAttempts: memory\/queue dead-letters nothing/,
    ],
    [
      {
        name: 'q',
        extends: 'kafka/commit-after-process',
        options: { producer: { acks: 0, idempotent: true } },
      },
      /setups\.0\.options\.producer\.idempotent: the idempotent producer needs acks -1/,
    ],
    [
      {
        name: 'q',
        extends: 'kafka/commit-after-process',
        options: { consumer: { autoCommitInterval: 100 } },
      },
      /setups\.0\.options\.consumer\.autoCommitInterval: only takes effect with consumer\.autoCommit: true/,
    ],
    [
      { name: 'q', extends: 'kafka/transactions', options: { consumer: { autoCommit: true } } },
      /setups\.0\.options\.consumer\.autoCommit: transactions commits in transactions/,
    ],
    [
      { name: 'q', extends: 'nats/jetstream', options: { consumer: { maxDeliver: 3 } } },
      /setups\.0\.options\.consumer\.maxDeliver: without a dead-letter stream/,
    ],
    [
      { name: 'q', extends: 'nats/core', options: { doubleAck: true } },
      /setups\.0\.options\.doubleAck: core NATS/,
    ],
    [
      {
        name: 'q',
        extends: 'sqs/standard',
        options: { queueAttributes: { ContentBasedDeduplication: true } },
      },
      /setups\.0\.options\.queueAttributes\.ContentBasedDeduplication: only FIFO queues/,
    ],
    [{ name: 'q', extends: 'rabbitmq/quorom' }, /setups\.0\.extends: rabbitmq has no setup "quorom"/],
    [{ name: 'q', extends: 'quorum' }, /setups\.0\.extends: the driver and its setup/],
    [
      { name: 'quorum', extends: 'rabbitmq/quorum' },
      /setups\.0\.name: "quorum" is a built-in setup of rabbitmq/,
    ],
  ])('rejects %j naming the key', (entry, message) => {
    expect(() => parseConfig({ setups: [entry] })).toThrow(ConfigError);
    expect(() => parseConfig({ setups: [entry] })).toThrow(message);
  });

  it('exits 2 from the command line before anything starts, naming the key, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-custom-'));
    writeFileSync(
      join(dir, 'brokerproof.config.json'),
      JSON.stringify({
        setups: [
          { name: 'orders-queue', extends: 'rabbitmq/quorum', options: { prefech: 200 } },
          { name: 'orders-log', extends: 'kafka/auto-commit', claim: { maxAttempts: 5 } },
        ],
      }),
    );
    const { code, stderr } = await cliProcess(['run'], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toContain('setups.0.options: unknown option "prefech" for rabbitmq/quorum');
    expect(stderr).toContain('setups.1.claim.maxAttempts: kafka/auto-commit dead-letters nothing');
    expect(stderr).not.toMatch(/\n\s+at /);
    // Nothing ran: no report directory was written.
    expect(() => readFileSync(join(dir, 'brokerproof-report', 'results.json'))).toThrow();
  });

  it('runs a custom memory setup and shows its resolved options next to the claim in results.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-custom-'));
    const outcome = await run(
      {
        setups: [
          { name: 'orders-queue', extends: 'memory/queue-dlq', options: { prefetch: 8, deliveryLimit: 4 } },
        ],
        scenarios: ['retry-dlq'],
        runs: 1,
        messages: 80,
        seed: 5,
      },
      { cwd: dir, log: () => {} },
    );
    expect(outcome.exitCode).toBe(0);
    const results = JSON.parse(readFileSync(join(outcome.outDir, 'results.json'), 'utf8')) as RunResult;
    const [c] = results.cases;
    expect(c).toMatchObject({
      setup: 'orders-queue',
      setupExtends: 'memory/queue-dlq',
      setupOptions: { kind: 'queue', prefetch: 8, deliveryLimit: 4 },
      guarantee: { delivery: 'at-least-once', maxAttempts: 4 },
      valid: true,
    });
    // The broker really dead-letters after 4 deliveries: poison messages reached the DLQ, none early or late.
    expect(c!.workload.poison.length).toBeGreaterThan(0);
    expect(c!.counts.dlqEarly + c!.counts.dlqLate + c!.counts.dlqMissing).toBe(0);
  });
});
