/** Toxiproxy server, built with `go install` (the binary is called `server` upstream). */
import { join } from 'node:path';
import { goBinary } from '../install.ts';
import type { LocalService } from '../service.ts';

export const toxiproxy: LocalService = {
  name: 'toxiproxy',
  upstreamPort: (ports) => ports.toxiproxy,
  extraPorts: () => [],
  stopGraceMs: 5000,
  startTimeoutMs: 20_000,

  async install(ctx, log) {
    const version = ctx.versions.toxiproxy;
    const binary = await goBinary(
      ctx.paths,
      'toxiproxy-server',
      'github.com/Shopify/toxiproxy/v2/cmd/server',
      version,
      log,
    );
    return { version, home: binary };
  },

  async prepare(ctx, installation, stateDir) {
    return {
      command: installation.home,
      args: ['-host', ctx.ports.host, '-port', String(ctx.ports.toxiproxy)],
      logFile: join(stateDir, 'toxiproxy.log'),
    };
  },
};
