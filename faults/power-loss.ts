/**
 * The `power-loss` fault: kill -9 the broker, drop every write it never fsynced (lossyfs under its
 * state directory), and — when the fault is healed — start it again on what is left. Only a broker
 * the run started on lossyfs (provision/local/dedicated.ts) can lose power; the fault fails to
 * start otherwise, and a fault that never started leaves the case unknown, never a pass.
 */
import type { BrokerName } from '../core/brokers.ts';
import type { LossyFsDropSummary } from '../native/lossyfs.ts';

/** Most files listed per kind in a fault event (the totals always count every one). */
const MAX_LISTED = 40;

/** What the history's `fault` `start` `ok` event of a power loss carries as `detail`. */
export interface PowerLossDetail {
  [key: string]: unknown;
  /** Every byte dropped: torn tails, reverted overwrites, files that vanished. */
  droppedBytes: number;
  metadata: string;
  /** Surviving files that lost bytes: path (below the broker's state directory), bytes lost. */
  files: { path: string; droppedBytes: number; sizeBefore: number; sizeAfter: number }[];
  /** Names that are gone (unsynced creates and renames), with the bytes lost with a file. */
  removed: { path: string; type: string; size?: number; durablePath?: string }[];
  /** Durable names brought back (unsynced unlinks and renames). */
  restored: string[];
  /** Entries of `files`/`removed`/`restored` not listed (beyond 40 each). */
  unlisted?: number;
  /** The killed process. */
  pid: number;
  killMs: number;
  dropMs: number;
}

export function powerLossDetail(
  summary: LossyFsDropSummary,
  timing: { pid: number; killMs: number; dropMs: number },
): PowerLossDetail {
  const files = [...summary.files].sort((a, b) => b.droppedBytes - a.droppedBytes);
  const removed = [...summary.removed].sort((a, b) => (b.size ?? 0) - (a.size ?? 0));
  const unlisted =
    Math.max(0, files.length - MAX_LISTED) +
    Math.max(0, removed.length - MAX_LISTED) +
    Math.max(0, summary.restored.length - MAX_LISTED);
  return {
    droppedBytes: summary.droppedBytes,
    metadata: summary.metadata,
    files: files.slice(0, MAX_LISTED).map((f) => ({
      path: f.path,
      droppedBytes: f.droppedBytes,
      sizeBefore: f.sizeBefore,
      sizeAfter: f.sizeAfter,
    })),
    removed: removed.slice(0, MAX_LISTED).map((r) => ({
      path: r.path,
      type: r.type,
      ...(r.size !== undefined && { size: r.size }),
      ...(r.durablePath !== undefined && { durablePath: r.durablePath }),
    })),
    restored: summary.restored.slice(0, MAX_LISTED).map((r) => r.path),
    ...(unlisted > 0 && { unlisted }),
    ...timing,
  };
}

/** One line for logs: `dropped 12345 bytes from 3 files (a 100, b 20, …), 2 names removed`. */
export function describePowerLoss(detail: PowerLossDetail): string {
  const files = detail.files
    .slice(0, 4)
    .map((f) => `${f.path} ${f.droppedBytes}`)
    .join(', ');
  const more = detail.files.length > 4 ? ', …' : '';
  return (
    `dropped ${detail.droppedBytes} bytes from ${detail.files.length} file${detail.files.length === 1 ? '' : 's'}` +
    `${files ? ` (${files}${more})` : ''}, ${detail.removed.length} name${detail.removed.length === 1 ? '' : 's'} removed, ` +
    `${detail.restored.length} restored`
  );
}

/**
 * Cuts the power of the run's dedicated `broker`: resolves once it is dead and its unsynced writes
 * are gone, with what was dropped and how to power it on again.
 */
export async function powerLoss(
  broker: BrokerName,
  log: (message: string) => void = () => {},
): Promise<{ detail: PowerLossDetail; restore: () => Promise<void> }> {
  const { dedicatedBroker } = await import('../provision/local/dedicated.ts');
  const instance = dedicatedBroker(broker);
  if (!instance?.mount)
    throw new Error(
      `${broker} does not run on lossyfs in this run (power-loss needs the dedicated instance \`run --faults power-loss\` starts)`,
    );
  const outcome = await instance.powerOff();
  const detail = powerLossDetail(outcome.summary, {
    pid: outcome.pid,
    killMs: outcome.killMs,
    dropMs: outcome.dropMs,
  });
  log(`power-loss on ${broker}: ${describePowerLoss(detail)}`);
  return {
    detail,
    restore: async () => {
      await instance.powerOn();
    },
  };
}

/** Makes everything the run's dedicated `broker` wrote so far durable (a no-op without lossyfs). */
export async function syncBeforeLoad(broker: BrokerName): Promise<void> {
  const { dedicatedBroker } = await import('../provision/local/dedicated.ts');
  await dedicatedBroker(broker)?.mount?.sync();
}
