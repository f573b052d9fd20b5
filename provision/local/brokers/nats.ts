/** NATS with JetStream: nats-server built with `go install` (Debian's 2.9 as a fallback). */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../../../core/errors.ts';
import { run, which } from '../exec.ts';
import { aptPackage, goBinary } from '../install.ts';
import type { LocalService } from '../service.ts';

/** `always` or a duration (`100ms`, `2m`): JetStream's `sync_interval` (default 2 minutes). */
export const NATS_SYNC_INTERVAL_VARIABLE = 'BROKERPROOF_NATS_SYNC_INTERVAL';

export const nats: LocalService = {
  name: 'nats',
  upstreamPort: (ports) => ports.nats.upstream,
  extraPorts: () => [],
  stopGraceMs: 10_000,
  startTimeoutMs: 30_000,

  async install(ctx, log) {
    let binary: string;
    try {
      binary = await goBinary(
        ctx.paths,
        'nats-server',
        'github.com/nats-io/nats-server/v2',
        ctx.versions.nats,
        log,
      );
    } catch (error) {
      log(
        `could not build nats-server ${ctx.versions.nats} (${describeError(error).split('\n')[0]}); falling back to Debian's nats-server`,
      );
      await aptPackage(
        'nats-server',
        () => which('nats-server') !== undefined,
        log,
        'Install Go, or the Debian package nats-server.',
      );
      binary = which('nats-server') ?? 'nats-server';
    }
    const result = await run(binary, ['--version']);
    const version = result.output.match(/v?\d+\.\d+\.\d+\S*/)?.[0] ?? ctx.versions.nats;
    return { version, home: binary };
  },

  async prepare(ctx, installation, stateDir) {
    const storeDir = join(stateDir, 'jetstream');
    if (!existsSync(storeDir)) mkdirSync(storeDir, { recursive: true });
    // A server-wide setting some setups need (`jetstream-sync-always`): only a dedicated instance
    // sets it (provision/local/lossy-instance.ts), never the shared one.
    const syncInterval = ctx.env[NATS_SYNC_INTERVAL_VARIABLE];
    const config = join(stateDir, 'nats.conf');
    if (syncInterval)
      writeFileSync(config, `jetstream {\n  sync_interval: ${JSON.stringify(syncInterval)}\n}\n`);
    else rmSync(config, { force: true });
    return {
      command: installation.home,
      args: [
        ...(syncInterval ? ['--config', config] : []),
        '--addr',
        ctx.ports.host,
        '--port',
        String(ctx.ports.nats.upstream),
        '--jetstream',
        '--store_dir',
        storeDir,
        '--server_name',
        'brokerproof',
        '--no_advertise',
      ],
      logFile: join(stateDir, 'nats.log'),
    };
  },
};
