/** moto in server mode (SQS + SNS), from PyPI into a venv under the cache. State is in memory. */
import { join } from 'node:path';
import { pythonVenv } from '../install.ts';
import type { LocalService } from '../service.ts';

export const moto: LocalService = {
  name: 'moto',
  upstreamPort: (ports) => ports.moto.upstream,
  extraPorts: () => [],
  stopGraceMs: 5000,
  startTimeoutMs: 60_000,

  async install(ctx, log) {
    const version = ctx.versions.moto;
    const venv = await pythonVenv(ctx.paths, `moto/${version}`, `moto[server]==${version}`, log);
    return { version, home: venv };
  },

  async prepare(ctx, installation, stateDir) {
    return {
      command: join(installation.home, 'bin', 'moto_server'),
      args: ['-H', ctx.ports.host, '-p', String(ctx.ports.moto.upstream)],
      env: { PYTHONUNBUFFERED: '1' },
      logFile: join(stateDir, 'moto.log'),
    };
  },
};
