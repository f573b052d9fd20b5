import { z } from 'zod';
import { defineCustomizer, defined, SetupOptionProblem } from '../custom-setup.ts';
import type { Setup } from '../driver.ts';

/** How a setup's consumers commit offsets. */
export type CommitMode =
  /** Manual commit of offset + 1 after the handler processed the message (the runner's ack). */
  | 'after-process'
  /** Commit of offset + 1 before the message is handed over at all (at-most-once on receipt). */
  | 'on-delivery'
  /** kafkajs `autoCommit` as shipped, with `eachMessage`: commits happen in the background. */
  | 'auto'
  /** Consume-transform-produce: the input offset is committed with the output in one transaction. */
  | 'transactional';

/** What the Kafka driver builds for a setup. */
export interface KafkaSetupOptions {
  [key: string]: unknown;
  commit: CommitMode;
  /** Producer acks: -1 (all in-sync replicas, idempotent producer), 1 (the leader) or 0 (fire and forget). */
  acks: -1 | 0 | 1;
  /** Producer idempotence (default: on with acks -1). */
  idempotent?: boolean;
  /** A custom setup's consumer settings (kafkajs names). */
  consumer?: KafkaConsumerOptions;
  /** Failed handling goes through one retry topic per attempt (with a due time), then a DLQ topic. */
  retryTopics?: boolean;
  /**
   * The case's topics on a cluster (`brokerproof brokers up --cluster 3 --only kafka`): replication
   * factor and `min.insync.replicas`. Setups with `cluster` never run on the single node.
   */
  replicationFactor?: number;
  minInsyncReplicas?: number;
  /** Further topic configs of the case's topics, set at creation (e.g. unclean leader election). */
  topicConfig?: Record<string, string>;
  cluster?: boolean;
}

const setup = (s: Omit<Setup, 'options'> & { options: KafkaSetupOptions }): Setup => s;

/**
 * Kafka setups, each with the guarantee it honestly claims (docs/drivers/kafka.md explains each) —
 * what Kafka gives as configured. The idempotent producer drops only its own internal retries
 * within one producer session: an application's resend of a send that timed out is a new record.
 */
export const KAFKA_SETUPS: readonly Setup[] = [
  setup({
    name: 'commit-after-process',
    description:
      'Idempotent producer (acks=-1); consumer groups commit offset+1 of each message after processing it. Redelivery after a crash or rebalance: at-least-once, in partition order. Pipelines produce the output, then commit. Kafka acknowledges before fsync and relies on replication: on a single node the claim holds across a broker crash (broker-kill), not across a power loss (power-loss), which loses acknowledged records — see fsync-each.',
    claim: { delivery: 'at-least-once', ordering: 'per-partition' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'manual',
    fanOut: true,
    pipeline: 'sequential',
    deliversInBatches: true,
    // A stream is a key; Kafka takes any append (no expected offset): one writer a stream.
    eventLog: 'single-writer',
    options: { commit: 'after-process', acks: -1 },
  }),
  setup({
    name: 'retry-topics',
    description:
      'Commit after processing; a failed message is produced to the retry topic of its attempt (consumed once its backoff is due), then after N deliveries (3, or --max-attempts N) to a DLQ topic, committing the original each time (produce acknowledged by all in-sync replicas first, so nothing is lost on the way).',
    claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 3 },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'manual',
    fanOut: true,
    deliversInBatches: true,
    options: { commit: 'after-process', acks: -1, retryTopics: true },
  }),
  setup({
    name: 'transactions',
    description:
      'Consume-transform-produce: a transactional producer per input partition sends the output and the input offset (sendOffsets) in one transaction; read_committed readers see committed output only. Exactly-once holds for what goes through that pipeline only — each input record is forwarded once. A resend by the application of a send that timed out is a new record (and forwarded again), and scenarios that acknowledge with a plain offset commit get at-least-once.',
    claim: { delivery: 'exactly-once', ordering: 'per-partition' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'manual',
    fanOut: false,
    pipeline: 'transactional',
    deliversInBatches: true,
    options: { commit: 'transactional', acks: -1 },
  }),
  setup({
    name: 'commit-before-process',
    description:
      'The consumer commits offset+1 before the handler sees the message (and skips it when the commit fails): a crash loses what was being processed, nothing is processed twice.',
    claim: { delivery: 'at-most-once', ordering: 'per-partition' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'on-delivery',
    fanOut: true,
    deliversInBatches: true,
    options: { commit: 'on-delivery', acks: -1 },
  }),
  setup({
    name: 'auto-commit',
    description:
      'kafkajs autoCommit as shipped (eachMessage, commit after every batch): an offset is resolved only once the handler returned, so it is at-least-once; the commits are not observable per message (acks are recorded as info).',
    claim: { delivery: 'at-least-once', ordering: 'per-partition' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'manual',
    fanOut: true,
    options: { commit: 'auto', acks: -1 },
  }),
  setup({
    name: 'fsync-each',
    description:
      'commit-after-process on a broker that fsyncs every append before acknowledging it (broker-wide `log.flush.interval.messages=1`, the default of the topic config `flush.messages`): an acknowledged record survives a power loss of a single node (power-loss). Kafka by default acknowledges before fsync and relies on replication instead, so commit-after-process on one node does not claim that. The setting is broker-wide, so this setup gets a broker of its own (a dedicated native instance).',
    claim: { delivery: 'at-least-once', ordering: 'per-partition' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'manual',
    fanOut: true,
    deliversInBatches: true,
    options: { commit: 'after-process', acks: -1, server: { 'log.flush.interval.messages': 1 } },
  }),
  setup({
    name: 'replicated',
    description:
      'commit-after-process on a 3-node KRaft cluster: topics with replication factor 3 and min.insync.replicas 2, idempotent producer with acks=all. A record is acknowledged once every in-sync replica has it (at least 2), so losing any one node — killed or cut off — keeps every acknowledged record (isolate-leader, kill-leader). Runs on `brokerproof brokers up --cluster 3 --only kafka`.',
    claim: { delivery: 'at-least-once', ordering: 'per-partition' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['per-partition', 'per-key'],
    ackMode: 'manual',
    fanOut: true,
    deliversInBatches: true,
    options: { commit: 'after-process', acks: -1, replicationFactor: 3, minInsyncReplicas: 2, cluster: true },
  }),
  setup({
    name: 'acks-1',
    description:
      'Replication factor 3, but the producer waits for the leader only (acks=1; no idempotence, so no internal retries either: a retried record could be written twice) and consumers commit on receipt. A leader that dies or is cut off before its followers copied a record takes the acknowledged record with it when another replica takes over (kill-leader, isolate-leader): at most once, which is all acks=1 gives when a leader fails. Runs on a 3-node cluster.',
    claim: { delivery: 'at-most-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'on-delivery',
    fanOut: true,
    deliversInBatches: true,
    options: {
      commit: 'on-delivery',
      acks: 1,
      idempotent: false,
      replicationFactor: 3,
      minInsyncReplicas: 2,
      cluster: true,
    },
  }),
  setup({
    name: 'unclean',
    description:
      'Replication factor 3 with unclean leader election on and min.insync.replicas 1 (topic configs), idempotent producer with acks=all, consumers commit on receipt. acks=all waits for the replicas still in the ISR only, and with min ISR 1 the ISR may shrink to the leader alone (a follower cut off or behind); when that leader then fails, unclean election hands the partition to a replica that was out of the ISR and whatever it had not copied is gone — acknowledged by acks=all. acks=all (not 1) so that a loss comes from the election, not from the producer (acks-1 shows that one). At most once. Runs on a 3-node cluster.',
    claim: { delivery: 'at-most-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'on-delivery',
    fanOut: true,
    deliversInBatches: true,
    options: {
      commit: 'on-delivery',
      acks: -1,
      replicationFactor: 3,
      minInsyncReplicas: 1,
      topicConfig: { 'unclean.leader.election.enable': 'true' },
      cluster: true,
    },
  }),
  setup({
    name: 'acks-0',
    description:
      'Fire-and-forget producer (acks=0, no idempotence, no retries): the broker confirms nothing, so every send is info; consumers commit on receipt. At most once, end to end.',
    claim: { delivery: 'at-most-once', ordering: 'none' },
    claimBasis: 'configuration',
    resends: 'new-message',
    orderingScopes: ['none'],
    ackMode: 'on-delivery',
    fanOut: true,
    deliversInBatches: true,
    options: { commit: 'on-delivery', acks: 0 },
  }),
];

const ms = z.number().int().positive();

/** Consumer settings a custom setup may set (kafkajs names). */
const kafkaConsumerOptions = z.strictObject({
  /** kafkajs autoCommit: offsets committed in the background, after the handler returned. */
  autoCommit: z.boolean().optional(),
  /** With autoCommit: commit at least this often (ms). */
  autoCommitInterval: ms.optional(),
  /** With autoCommit: commit after this many resolved offsets. */
  autoCommitThreshold: z.number().int().positive().optional(),
  sessionTimeout: ms.optional(),
  heartbeatInterval: ms.optional(),
  /** `read_uncommitted` also sees records of open and aborted transactions. */
  isolationLevel: z.enum(['read_committed', 'read_uncommitted']).optional(),
});
export type KafkaConsumerOptions = z.output<typeof kafkaConsumerOptions>;

/** What a custom Kafka setup may set (`setups[].options` in the config). */
export const kafkaSetupOptions = z.strictObject({
  producer: z
    .strictObject({
      acks: z.union([z.literal(-1), z.literal(0), z.literal(1)]).optional(),
      idempotent: z.boolean().optional(),
    })
    .optional(),
  consumer: kafkaConsumerOptions.optional(),
});

/** How a team's Kafka options change a built-in setup, and what the result can claim. */
export const kafkaCustomizer = defineCustomizer({
  schema: kafkaSetupOptions,
  apply(base, custom) {
    const was = base.options as KafkaSetupOptions;
    const c = custom.consumer ?? {};
    const p = custom.producer ?? {};
    const problems: SetupOptionProblem[] = [];
    const problem = (key: string, message: string) => problems.push(new SetupOptionProblem(key, message));
    let commit = was.commit;
    if (c.autoCommit === true && commit !== 'auto') {
      if (commit === 'after-process' && !was.retryTopics) commit = 'auto';
      else
        problem(
          'consumer.autoCommit',
          `${base.name} commits ${commit === 'transactional' ? 'in transactions' : was.retryTopics ? 'through retry topics' : 'on receipt'}; extend kafka/commit-after-process or kafka/auto-commit`,
        );
    }
    if (c.autoCommit === false && commit === 'auto') commit = 'after-process';
    for (const key of ['autoCommitInterval', 'autoCommitThreshold'] as const)
      if (c[key] !== undefined && commit !== 'auto')
        problem(
          `consumer.${key}`,
          'only takes effect with consumer.autoCommit: true (or extends kafka/auto-commit)',
        );
    if (
      c.sessionTimeout !== undefined &&
      c.heartbeatInterval !== undefined &&
      c.heartbeatInterval >= c.sessionTimeout
    )
      problem('consumer.heartbeatInterval', `must be below consumer.sessionTimeout (${c.sessionTimeout} ms)`);
    if (c.isolationLevel === 'read_uncommitted' && commit === 'transactional')
      problem(
        'consumer.isolationLevel',
        `${base.name} reads its input committed-only; read_uncommitted would count aborted records`,
      );
    const acks = p.acks ?? was.acks;
    if (p.idempotent === true && acks !== -1)
      problem('producer.idempotent', `the idempotent producer needs acks -1 (acks is ${acks})`);
    if (commit === 'transactional' && (acks !== -1 || p.idempotent === false))
      problem(
        p.idempotent === false ? 'producer.idempotent' : 'producer.acks',
        `${base.name} needs the idempotent producer with acks -1`,
      );
    if (problems.length) return problems;
    const consumer = defined({ ...c, autoCommit: undefined });
    return {
      options: defined({
        ...was,
        commit,
        acks,
        idempotent: p.idempotent,
        consumer: Object.keys(consumer).length ? consumer : undefined,
      }),
      delivery: acks === 0 ? 'at-most-once' : undefined,
      // kafkajs eachMessage (autoCommit) hands over messages one by one, and forwards nothing.
      ...(commit === 'auto' && { deliversInBatches: false, pipeline: undefined }),
      ...(commit === 'after-process' &&
        was.commit === 'auto' && { deliversInBatches: true, pipeline: 'sequential' }),
      ackMode: commit === 'on-delivery' ? 'on-delivery' : 'manual',
      deadLetters: was.retryTopics === true,
      notes: [
        ...(commit === 'auto' && was.commit !== 'auto'
          ? [
              `kafkajs autoCommit${c.autoCommitInterval ? ` every ${c.autoCommitInterval} ms` : ''}: offsets commit in the background after the handler returned`,
            ]
          : []),
        ...(acks === 0 ? ['acks=0: the broker confirms nothing (at-most-once)'] : []),
        ...(acks === 1
          ? ['acks=1: a record confirmed by the leader alone is lost if the leader fails before replicating']
          : []),
      ],
    };
  },
});
