import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * Where a benchmark phase's CPU went, process by process, and how busy the whole host was. On a
 * saturated host (two cores shared by broker, proxy, client and harness), throughput follows CPU
 * per message: the harness cannot keep more of the raw rate than raw's CPU per message over its own.
 */

/** The processes a phase counts besides the benchmark's own: each with its children (beam.smp under rabbitmq-server). */
export interface ServerPids {
  broker: number | null;
  proxy: number | null;
}

/** The benchmark process (the raw client, or the runner), the consumer worker, the broker and Toxiproxy. */
export type CpuPart = 'bench' | 'worker' | 'broker' | 'proxy';

export interface PhaseSample {
  ms: number;
  /** CPU time of each part during the phase, µs. */
  cpuMicros: Record<CpuPart, number>;
  /** Share of the host's CPU time (all cores, steal counted as unavailable) not idle during the phase. */
  hostBusy: number;
}

/** Linux's USER_HZ, the unit of /proc's CPU times: 100 on every architecture Node runs on here. */
const TICK_MICROS = 1_000_000 / 100;

/** utime + stime of every process, by pid, with its parent. */
function processTable(): Map<number, { ppid: number; ticks: number }> {
  const table = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command's closing parenthesis: state, ppid, … utime (12th), stime (13th).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(pid, { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return table;
}

/** CPU µs of `root` and all its descendants (0 for none). */
function treeMicros(
  table: Map<number, { ppid: number; ticks: number }>,
  root: number | null | undefined,
): number {
  if (root === null || root === undefined) return 0;
  let ticks = 0;
  for (const [pid, p] of table) {
    for (let at = pid, hops = 0; at > 1 && hops < 32; at = table.get(at)?.ppid ?? 0, hops++) {
      if (at === root) {
        ticks += p.ticks;
        break;
      }
    }
  }
  return ticks * TICK_MICROS;
}

/** The host's CPU ticks: busy (user, nice, system, irq, softirq) and all, steal included in neither. */
function hostTicks(): { busy: number; all: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [user, nice, system, idle, iowait, irq, softirq] = line.split(/\s+/).slice(1).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq!;
  return { busy, all: busy + idle! + iowait! };
}

interface Snapshot {
  at: number;
  micros: Record<CpuPart, number>;
  host: { busy: number; all: number };
}

/** Starts and stops the measurement of one phase (a round's send or consume). */
export class PhaseMeter {
  constructor(private readonly servers: ServerPids) {}

  start(worker?: number): RunningPhase {
    return new RunningPhase(() => this.snapshot(worker));
  }

  private snapshot(worker: number | undefined): Snapshot {
    const table = processTable();
    const bench = process.cpuUsage();
    return {
      at: performance.now(),
      micros: {
        bench: bench.user + bench.system,
        worker: treeMicros(table, worker),
        broker: treeMicros(table, this.servers.broker),
        proxy: treeMicros(table, this.servers.proxy),
      },
      host: hostTicks(),
    };
  }
}

export class RunningPhase {
  private readonly begin: Snapshot;

  constructor(private readonly snapshot: () => Snapshot) {
    this.begin = snapshot();
  }

  stop(): PhaseSample {
    const end = this.snapshot();
    const cpuMicros = {} as Record<CpuPart, number>;
    for (const part of Object.keys(end.micros) as CpuPart[])
      cpuMicros[part] = Math.max(0, end.micros[part] - this.begin.micros[part]);
    const all = end.host.all - this.begin.host.all;
    return {
      ms: end.at - this.begin.at,
      cpuMicros,
      hostBusy: all > 0 ? (end.host.busy - this.begin.host.busy) / all : 0,
    };
  }
}
