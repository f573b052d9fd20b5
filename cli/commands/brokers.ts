/**
 * `brokerproof brokers up|down|status [--only a,b] [--json]` — native brokers and Toxiproxy on this
 * machine. Progress and errors go to stderr; with --json, stdout carries exactly one JSON document.
 * Exit codes: 0 every chosen broker is up (or stopped), 2 any failed or bad input.
 */
import type { Command } from 'commander';
import { BrokerproofError, describeError, UsageError } from '../../core/errors.ts';
import {
  CLUSTER_BROKERS,
  type ClusterStatus,
  clusterDown,
  clusterStatus,
  clusterUp,
} from '../../provision/cluster/index.ts';
import type { BrokerName } from '../../provision/endpoints.ts';
import {
  brokersDown,
  brokersStatus,
  brokersUp,
  parseOnly,
  type StatusReport,
  type UpResult,
} from '../../provision/local/index.ts';

export interface BrokersCommandIo {
  exit(code: number): void;
  out?(text: string): void;
  err?(text: string): void;
}

interface CommonOptions {
  only?: string;
  json?: boolean;
  /** `up`: nodes per cluster; `down`/`status`: the clusters only. */
  cluster?: string | boolean;
}

export function registerBrokersCommand(program: Command, io: BrokersCommandIo): Command {
  const out = (text: string) => (io.out ? io.out(text) : process.stdout.write(text));
  const err = (text: string) => (io.err ? io.err(text) : process.stderr.write(text));
  const printJson = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);
  const log = (line: string) => err(`${line}\n`);

  /** Runs an action; a BrokerproofError becomes a clear message (and a JSON error document with --json). */
  const guard =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      const options = args.find(
        (a): a is CommonOptions => typeof a === 'object' && a !== null && !Array.isArray(a),
      ) as CommonOptions | undefined;
      try {
        io.exit(await fn(...args));
      } catch (error) {
        const known = error instanceof BrokerproofError;
        const message = known ? error.message : `unexpected error: ${describeError(error)}`;
        err(`brokerproof: ${message}\n`);
        if (known && error.hint) err(`  ${error.hint}\n`);
        if (!known)
          err('  This is a bug in brokerproof; set BROKERPROOF_DEBUG=1 for details and report it.\n');
        if (process.env.BROKERPROOF_DEBUG && error instanceof Error) err(`${error.stack}\n`);
        if (options?.json) printJson({ error: { message, hint: known ? (error.hint ?? null) : null } });
        io.exit(2);
      }
    };

  const brokers = program
    .command('brokers')
    .description(
      'native brokers (kafka, rabbitmq, nats, elasticmq, moto, pubsub), the PostgreSQL store (postgres) and Toxiproxy on this machine',
    )
    .addHelpText(
      'after',
      '\nClients connect through Toxiproxy (Kafka 9092, RabbitMQ 5672, NATS 4222, ElasticMQ 9324, moto 5000, Pub/Sub 8085,\n' +
        'PostgreSQL 5433; Toxiproxy API 8474). Ports, versions and caches: docs/brokers.md, docs/stores.md.',
    );

  brokers
    .command('up')
    .description(
      'install (cached) and start brokers behind Toxiproxy; waits for a real round trip through each proxy',
    )
    .option('--only <brokers>', 'comma-separated subset, e.g. kafka,rabbitmq')
    .option(
      '--cluster <nodes>',
      'start a cluster of this many nodes per broker instead, each node in a network namespace of its own (root; nats, kafka and rabbitmq, all three unless --only; docs/clusters.md)',
    )
    .option('--json', 'print the resulting status as one JSON document on stdout')
    .action(
      guard(async (options: CommonOptions) => {
        if (options.cluster !== undefined) return clustersUp(options);
        const only = parseOnly(options.only);
        log(`brokerproof: starting ${only.join(', ')} (and toxiproxy)…`);
        const result = await brokersUp({ only, log });
        if (options.json)
          printJson({
            ...result.status,
            failures: result.failures,
            unavailable: result.unavailable,
            timings: result.timings,
          });
        else printUpSummary(result, err);
        return result.failures.length > 0 ? 2 : 0;
      }),
    );

  brokers
    .command('down')
    .description(
      'stop the brokers (and Toxiproxy) this tool started, by recorded PID; data is kept unless --purge',
    )
    .option('--only <brokers>', 'comma-separated subset (Toxiproxy keeps running)')
    .option('--purge', 'also delete their data and logs')
    .option('--cluster', 'only the clusters of `up --cluster`: every node, namespace, link and rule')
    .option('--json', 'print what was stopped as one JSON document on stdout')
    .action(
      guard(async (options: CommonOptions & { purge?: boolean }) => {
        const only = options.only ? parseOnly(options.only) : undefined;
        // A plain `down` removes its state directory's clusters too (not another one's: a test's
        // `down` must not sweep a cluster a run elsewhere uses), and a failure there must not keep
        // the brokers up. `down --cluster` sweeps every namespace of ours.
        const clusters = await clusterDown(only, { log, recordedOnly: !options.cluster }).catch(
          (error: unknown) => {
            if (options.cluster) throw error;
            err(`brokerproof: removing clusters failed: ${describeError(error)}\n`);
            return { removed: [] as string[] };
          },
        );
        if (options.cluster) {
          if (options.json) printJson(clusters);
          else
            err(
              clusters.removed.length > 0
                ? `removed: ${clusters.removed.join(', ')}\n`
                : 'no cluster of ours was there\n',
            );
          return 0;
        }
        const result = await brokersDown({ only, purge: !!options.purge, log });
        if (options.json) printJson(result);
        else
          err(
            result.stopped.length > 0
              ? `stopped: ${result.stopped.join(', ')}\n`
              : 'nothing of ours was running\n',
          );
        return 0;
      }),
    );

  brokers
    .command('status')
    .description('what runs now, where clients connect, and the Toxiproxy proxies')
    .option('--only <brokers>', 'comma-separated subset')
    .option('--cluster', 'the clusters of `up --cluster` instead: nodes, addresses, memory')
    .option('--json', 'print {"brokers": {...}, "toxiproxy": {...}} on stdout')
    .action(
      guard(async (options: CommonOptions) => {
        if (options.cluster) {
          const clusters = clusterStatus(options.only ? parseOnly(options.only) : undefined);
          if (options.json) printJson({ clusters });
          else out(clusters.length > 0 ? formatClusters(clusters) : 'no cluster runs\n');
          return 0;
        }
        const status = await brokersStatus({ only: parseOnly(options.only) });
        if (options.json) printJson(status);
        else out(formatStatus(status));
        return 0;
      }),
    );

  /** `up --cluster N`: one cluster per chosen broker (default: every broker that can be one). */
  async function clustersUp(options: CommonOptions): Promise<number> {
    const size = Number(options.cluster);
    if (!Number.isInteger(size) || size < 1 || size > 9)
      throw new UsageError(`--cluster takes a number of nodes from 1 to 9, not ${String(options.cluster)}`);
    const only = options.only ? parseOnly(options.only) : (Object.keys(CLUSTER_BROKERS) as BrokerName[]);
    const statuses: ClusterStatus[] = [];
    for (const broker of only) {
      log(`brokerproof: starting a ${broker} cluster of ${size} nodes…`);
      const result = await clusterUp(broker, size, { log });
      statuses.push(result.status);
      log(
        `brokerproof: ${broker} cluster ${result.already ? 'already up' : 'up'} in ${(result.ms / 1000).toFixed(1)} s`,
      );
    }
    if (options.json) printJson({ clusters: statuses });
    else err(`\n${formatClusters(statuses)}`);
    return 0;
  }

  return brokers;
}

export function formatClusters(clusters: readonly ClusterStatus[]): string {
  const rows: string[][] = [['broker', 'node', 'state', 'address', 'netns', 'pid', 'rss']];
  for (const c of clusters)
    for (const n of c.nodes)
      rows.push([
        `${c.broker} ${c.version}`,
        n.name,
        n.up ? 'up' : 'down',
        n.address,
        n.netns,
        n.pid ? String(n.pid) : '-',
        n.up ? `${n.rssMb} MB` : '-',
      ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  const clients = clusters.map((c) => `${c.broker} clients use ${c.endpoint.join(',')}`).join('\n');
  return `${table}\n${clients}\n`;
}

function printUpSummary(result: UpResult, err: (text: string) => void): void {
  for (const failure of result.failures) {
    err(`\nbrokerproof: ${failure.broker} failed: ${failure.message}\n`);
    if (failure.hint) err(`  ${failure.hint}\n`);
  }
  for (const missing of result.unavailable) {
    err(`\nbrokerproof: ${missing.broker} unavailable on this machine: ${missing.message}\n`);
    if (missing.hint) err(`  ${missing.hint}\n`);
  }
  err(`\n${formatStatus(result.status)}`);
  const total = ((result.timings.total ?? 0) / 1000).toFixed(1);
  err(
    result.failures.length > 0
      ? `${result.failures.length} failed (${result.failures.map((f) => f.broker).join(', ')}); the others are up (${total} s)\n`
      : result.unavailable.length > 0
        ? `up in ${total} s; unavailable on this machine: ${result.unavailable.map((u) => u.broker).join(', ')}\n`
        : `all up in ${total} s\n`,
  );
}

export function formatStatus(status: StatusReport): string {
  const rows: string[][] = [['broker', 'state', 'clients use', 'broker at', 'version', 'pid']];
  for (const [name, s] of Object.entries(status.brokers) as Array<
    [BrokerName, NonNullable<StatusReport['brokers'][BrokerName]>]
  >) {
    const state = !s.up
      ? 'down'
      : s.paused
        ? 'paused'
        : s.proxyEnabled === false
          ? 'up (proxy disabled)'
          : 'up';
    rows.push([
      s.kind === 'store' ? `${name} (store)` : name,
      state,
      s.proxied ? `${s.endpoint} (toxiproxy)` : `${s.endpoint} (no proxy)`,
      s.upstream,
      s.version ?? '-',
      s.pid ? String(s.pid) : '-',
    ]);
  }
  const t = status.toxiproxy;
  rows.push([
    'toxiproxy',
    t.up ? 'up' : 'down',
    t.endpoint,
    '-',
    t.version ?? '-',
    t.pid ? String(t.pid) : '-',
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
