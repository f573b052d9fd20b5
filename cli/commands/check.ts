import { type FileHandle, open } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CheckResult } from '../../checker/check.ts';
import { HistoryFormatError, UsageError } from '../../core/errors.ts';
import {
  type Claim,
  type DeliveryGuarantee,
  describeClaim,
  isConcurrencyClaim,
  isDeliveryGuarantee,
  isOrderingScope,
  isProjectionClaim,
  type OrderingScope,
} from '../../core/guarantee.ts';
import { verdictSymbol, verdictWord } from '../../reports/format.ts';
import { checkHistoryFile } from '../../runner/check-history-file.ts';
import { exitCodeFor } from '../../runner/run-result.ts';
import { findScenario } from '../../scenarios/catalogue.ts';
import { type CliIo, printJson } from '../io.ts';
import { guaranteeValue, orderingValue, positiveInt } from '../parse.ts';

interface CheckFlags {
  guarantee?: DeliveryGuarantee;
  ordering?: OrderingScope;
  maxAttempts?: number;
  json?: boolean;
}

/**
 * The `check --json` document (docs/semantics.md "check --json"): verdict, claim, counts summed and
 * per group, anomaly examples with their evidence, plus the forbidden kinds found, the reasons for an
 * "unknown" verdict and the fault-integrity summary.
 */
export function checkJson(result: CheckResult) {
  return {
    valid: result.valid,
    guarantee: result.guarantee,
    counts: result.counts,
    groups: result.groups,
    anomalies: result.anomalies.map(({ kind, id, group, events, detail }) => ({
      kind,
      id,
      group,
      events,
      detail,
    })),
    violations: result.violations,
    reasons: result.reasons,
    faultIntegrity: result.faultIntegrity,
    ...(result.measurements && { measurements: result.measurements }),
  };
}

/** The claim from flags; a history written by `run` carries its claim in the meta line as a fallback. */
function claimFrom(flags: CheckFlags, metaGuarantee: unknown): Claim {
  const meta = (
    typeof metaGuarantee === 'object' && metaGuarantee !== null ? metaGuarantee : {}
  ) as Partial<Claim>;
  const delivery =
    flags.guarantee ??
    (typeof meta.delivery === 'string' && isDeliveryGuarantee(meta.delivery) ? meta.delivery : undefined);
  if (!delivery) {
    throw new UsageError(
      'check needs --guarantee (at-most-once, at-least-once, exactly-once or effectively-once)',
      {
        hint: 'Say which guarantee the history must honour, e.g. --guarantee at-least-once.',
      },
    );
  }
  const fromMeta = flags.guarantee === undefined;
  const ordering =
    flags.ordering ??
    (fromMeta && typeof meta.ordering === 'string' && isOrderingScope(meta.ordering)
      ? meta.ordering
      : 'none');
  const maxAttempts =
    flags.maxAttempts ?? (fromMeta && typeof meta.maxAttempts === 'number' ? meta.maxAttempts : undefined);
  // The event-sourcing parts of a claim come from the meta line (no flags for them yet).
  const concurrency =
    fromMeta && typeof meta.concurrency === 'string' && isConcurrencyClaim(meta.concurrency)
      ? meta.concurrency
      : undefined;
  const projection =
    fromMeta && typeof meta.projection === 'string' && isProjectionClaim(meta.projection)
      ? meta.projection
      : undefined;
  const maxStalenessMs =
    fromMeta && typeof meta.maxStalenessMs === 'number' ? meta.maxStalenessMs : undefined;
  return {
    delivery,
    ordering,
    ...(maxAttempts !== undefined && { maxAttempts }),
    ...(concurrency && { concurrency }),
    ...(projection && { projection }),
    ...(maxStalenessMs !== undefined && { maxStalenessMs }),
  };
}

export function registerCheckCommand(program: Command, io: CliIo): void {
  program
    .command('check')
    .description('check a history file offline against a claimed guarantee')
    .argument('<history>', 'history file (.ndjson)')
    .option(
      '--guarantee <g>',
      'at-most-once | at-least-once | exactly-once | effectively-once',
      guaranteeValue,
    )
    .option('--ordering <o>', 'none | per-key | per-partition | total (default none)', orderingValue)
    .option(
      '--max-attempts <n>',
      'DLQ policy: poison messages dead-lettered after n deliveries',
      positiveInt('--max-attempts'),
    )
    .option('--json', 'print one JSON document on stdout')
    .action(async (file: string, flags: CheckFlags) => {
      const meta = await metaLine(file);
      const claim = claimFrom(flags, flags.guarantee ? undefined : meta?.guarantee);
      // The meta line's scenario brings its own checker family (effects judged from the store).
      const family = typeof meta?.scenario === 'string' ? findScenario(meta.scenario)?.checker : undefined;
      const { result, eventCount, truncated } = await checkHistoryFile(file, {
        claim,
        ...(family && { families: [family] }),
      });
      if (flags.json) printJson(io, checkJson(result));
      else printHuman(io, file, result, eventCount, truncated);
      io.exit(exitCodeFor(result.valid));
    });
}

/** Reads just the meta line, if the file starts with one. */
async function metaLine(file: string): Promise<{ guarantee?: unknown; scenario?: unknown } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (cause) {
    throw new HistoryFormatError(`cannot read history file: ${(cause as Error).message}`, { file, cause });
  }
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const firstLine = buffer.subarray(0, bytesRead).toString('utf8').split('\n', 1)[0] ?? '';
    const value = JSON.parse(firstLine) as { type?: string; guarantee?: unknown; scenario?: unknown };
    return value.type === 'meta' ? value : undefined;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

function printHuman(io: CliIo, file: string, result: CheckResult, events: number, truncated: boolean): void {
  io.out(
    `${verdictSymbol(result.valid)} ${file}: ${verdictWord(result.valid)} — claim: ${describeClaim(result.guarantee)}\n`,
  );
  const c = result.counts;
  io.out(
    `  ${events} events; ${c.attempted} attempted, ${c.acknowledged} acknowledged, ${c.failed} failed, ${c.indeterminate} indeterminate; ` +
      `${c.delivered} delivered, ${c.processed} processed, ${c.deadLettered} dead-lettered (summed over ${Object.keys(result.groups).length} group(s))\n`,
  );
  if (truncated) io.out('  the file ends in a partial line (the writer was killed mid-write)\n');
  const f = result.faultIntegrity;
  if (Object.values(f).some((n) => n > 0)) {
    io.out(
      `  faults: ${f.started} started, ${f.failed} failed, ${f.cancelled} cancelled, ${f.neverCompleted} never completed; ` +
        `crashes: ${f.crashesFired} fired, ${f.crashesCancelled} planned but never fired\n`,
    );
  }
  for (const kind of result.violations) io.out(`  ✗ ${kind}: ${c[kind]}\n`);
  const others = Object.entries(c).filter(
    ([k, n]) =>
      n > 0 &&
      !result.violations.includes(k as never) &&
      /^(lost|unexpected|phantom|recovered|redelivered|duplicated|duplicatedAfterAck|reordered|dlq|effect)/.test(
        k,
      ),
  );
  for (const [k, n] of others) io.out(`  · ${k}: ${n} (allowed by the claim)\n`);
  for (const reason of result.reasons) io.out(`  ? ${reason}\n`);
  for (const a of result.anomalies.filter((a) => result.violations.includes(a.kind)).slice(0, 10)) {
    io.out(`    ${a.kind} ${a.id} in ${a.group}: ${a.detail ?? ''} (events ${a.events.join(', ')})\n`);
  }
}
