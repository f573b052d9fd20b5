import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../api/run.ts';
import type { RunResult } from '../../runner/run-result.ts';

/** Deliveries of each dead-lettered message before its first `dlq` event, by id. */
function deliveriesBeforeDeadLetter(historyFile: string): Map<string, number> {
  const deliveries = new Map<string, number>();
  const counted = new Map<string, number>();
  for (const line of readFileSync(historyFile, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { f?: string; id?: string };
    if (e.f === 'deliver' && e.id) deliveries.set(e.id, (deliveries.get(e.id) ?? 0) + 1);
    if (e.f === 'dlq' && e.id && !counted.has(e.id)) counted.set(e.id, deliveries.get(e.id) ?? 0);
  }
  return counted;
}

const quiet = { log: () => {} };

describe('custom setups on real brokers', () => {
  it('a custom RabbitMQ setup with x-delivery-limit 4 dead-letters after 5 deliveries', async () => {
    const outcome = await run(
      {
        driver: 'rabbitmq',
        setups: [
          {
            name: 'orders-queue',
            extends: 'rabbitmq/quorum',
            options: { prefetch: 20, queueArguments: { 'x-delivery-limit': 4 } },
            claim: { delivery: 'at-least-once', maxAttempts: 5 },
          },
        ],
        scenarios: ['retry-dlq'],
        runs: 1,
        messages: 40,
        seed: 11,
        provision: 'local',
      },
      { cwd: mkdtempSync(join(tmpdir(), 'bp-custom-rabbit-')), flags: { faults: ['none'] }, ...quiet },
    );
    const [c] = outcome.result.cases;
    expect(c?.reasons).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    expect(c).toMatchObject({
      setupExtends: 'rabbitmq/quorum',
      setupOptions: { prefetch: 20, queueArguments: { 'x-delivery-limit': 4 } },
      guarantee: { maxAttempts: 5 },
    });
    const counted = deliveriesBeforeDeadLetter(join(outcome.outDir, c!.history));
    expect(counted.size).toBe(c!.workload.poison.length);
    expect(counted.size).toBeGreaterThan(0);
    // The quorum-dlx default would be 3; the team's limit of 4 redeliveries gives 5.
    expect([...new Set(counted.values())]).toEqual([5]);
  });

  it('a custom Kafka setup with kafkajs auto-commit every 100 ms runs and holds at-least-once', async () => {
    const outcome = await run(
      {
        driver: 'kafka',
        setups: [
          {
            name: 'orders-log',
            extends: 'kafka/commit-after-process',
            options: { consumer: { autoCommit: true, autoCommitInterval: 100 } },
            claim: { delivery: 'at-least-once' },
          },
        ],
        scenarios: ['work-queue'],
        runs: 1,
        messages: 60,
        seed: 3,
        provision: 'local',
      },
      { cwd: mkdtempSync(join(tmpdir(), 'bp-custom-kafka-')), ...quiet },
    );
    const results = JSON.parse(readFileSync(join(outcome.outDir, 'results.json'), 'utf8')) as RunResult;
    const [c] = results.cases;
    expect(c?.reasons).toEqual([]);
    expect(c).toMatchObject({
      setup: 'orders-log',
      setupExtends: 'kafka/commit-after-process',
      setupOptions: { commit: 'auto', consumer: { autoCommitInterval: 100 } },
      // work-queue checks the delivery guarantee alone (no order).
      guarantee: { delivery: 'at-least-once' },
      valid: true,
    });
    expect(c!.counts.processed).toBeGreaterThan(0);
  });

  it.each([
    [
      'nats',
      {
        extends: 'nats/jetstream-dlq',
        options: { prefetch: 8, consumer: { maxDeliver: 4, ackWaitMs: 2000 } },
      },
      4,
    ],
    [
      'sqs',
      {
        extends: 'sqs/standard',
        options: { receiveBatchSize: 1, queueAttributes: { RedrivePolicy: { maxReceiveCount: 2 } } },
      },
      2,
    ],
  ])(
    'a custom %s setup dead-letters after the attempts its options set',
    async (driver, custom, attempts) => {
      const outcome = await run(
        {
          driver,
          setups: [{ name: 'orders', ...custom }],
          scenarios: ['retry-dlq'],
          runs: 1,
          messages: 30,
          seed: 2,
          provision: 'local',
        },
        { cwd: mkdtempSync(join(tmpdir(), `bp-custom-${driver}-`)), flags: { faults: ['none'] }, ...quiet },
      );
      const [c] = outcome.result.cases;
      expect(c?.reasons).toEqual([]);
      expect(c).toMatchObject({
        valid: true,
        guarantee: { maxAttempts: attempts },
        setupExtends: custom.extends,
      });
      const counted = deliveriesBeforeDeadLetter(join(outcome.outDir, c!.history));
      expect(counted.size).toBeGreaterThan(0);
      expect([...new Set(counted.values())]).toEqual([attempts]);
    },
  );

  it('runs your handler inside the consumer worker processes, through their crashes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-handler-rabbit-'));
    const log = join(dir, 'handled.log');
    process.env.BP_HANDLER_LOG = log;
    try {
      const outcome = await run(
        {
          driver: 'rabbitmq',
          setups: ['quorum'],
          handler: new URL('../api/fixtures/recording-handler.ts', import.meta.url).pathname,
          scenarios: ['work-queue'],
          runs: 1,
          messages: 60,
          seed: 5,
          provision: 'local',
        },
        { cwd: dir, ...quiet },
      );
      const [c] = outcome.result.cases;
      expect(c?.reasons).toEqual([]);
      expect(outcome.exitCode).toBe(0);
      expect(c!.crashes.length).toBeGreaterThan(0);
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      const pids = new Set(lines.map((l) => Number(l.split(' ')[0])));
      // Handled in worker processes (a crash there is a SIGKILL), more than one incarnation of them.
      expect(pids.has(process.pid)).toBe(false);
      expect(pids.size).toBeGreaterThan(1);
      expect(new Set(lines.map((l) => l.split(' ')[1])).size).toBe(c!.counts.processed);
    } finally {
      delete process.env.BP_HANDLER_LOG;
    }
  });
});
