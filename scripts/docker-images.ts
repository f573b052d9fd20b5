/**
 * Builds the brokerproof Docker images locally (no registry needed): a debootstrap'd Debian base,
 * then one image per broker from the native path's jars and binaries.
 *   node --import tsx scripts/docker-images.ts [--only kafka,nats] [--force] [--start-dockerd]
 * --start-dockerd starts Debian's dockerd when no engine answers (and leaves it running).
 */

import { BrokerproofError, describeError } from '../core/errors.ts';
import { ensureDockerd } from '../provision/docker/dockerd.ts';
import { buildImages } from '../provision/docker/images.ts';
import { parseOnly } from '../provision/local/index.ts';
import { resolvePaths } from '../provision/local/paths.ts';

const args = process.argv.slice(2);
const onlyIndex = args.indexOf('--only');
const log = (line: string) => process.stderr.write(`${line}\n`);
try {
  if (args.includes('--start-dockerd')) await ensureDockerd(resolvePaths(), log);
  const started = Date.now();
  const tags = await buildImages({
    only: onlyIndex >= 0 ? parseOnly(args[onlyIndex + 1]) : undefined,
    force: args.includes('--force'),
    log,
  });
  log(`images ready in ${((Date.now() - started) / 1000).toFixed(0)} s:`);
  for (const tag of Object.values(tags)) log(`  ${tag}`);
} catch (error) {
  log(`brokerproof: ${describeError(error)}`);
  if (error instanceof BrokerproofError && error.hint) log(`  ${error.hint}`);
  process.exit(2);
}
