/**
 * Building the Docker images locally — no registry needed. The base is a Debian bookworm root
 * filesystem made with debootstrap (Java 17 runtime, rabbitmq-server, python3) and loaded with
 * `docker import`; each broker image adds the very jars and binaries the native path installed
 * (Maven Central jars, `go install` binaries, PyPI wheels, the Pub/Sub emulator). Images are tagged
 * `brokerproof/<name>:<version>`; an image that exists is not rebuilt.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerUnavailableError } from '../../core/errors.ts';
import { packageRoot } from '../../core/package-root.ts';
import { type BrokerName, isStoreName, MESSAGE_BROKER_NAMES, type StoreName } from '../endpoints.ts';
import { run, runOrThrow, which } from '../local/exec.ts';
import { type LocalContext, localContext } from '../local/index.ts';
import type { ServiceName } from '../local/service.ts';
import { SERVICES } from '../local/supervisor.ts';

export const BASE_IMAGE = 'brokerproof/base:bookworm';
const BASE_PACKAGES = ['openjdk-17-jre-headless', 'python3', 'python3-venv', 'ca-certificates', 'procps'];

/** PostgreSQL has no image yet: the Docker provisioner refuses it (testcontainers.ts). */
export type ImageName = Exclude<ServiceName, StoreName>;

/** The tag of each image for the versions in `ctx`. */
export function imageTags(ctx: LocalContext): Record<ImageName, string> {
  return {
    kafka: `brokerproof/kafka:${ctx.versions.kafka}`,
    rabbitmq: 'brokerproof/rabbitmq:bookworm',
    nats: `brokerproof/nats:${ctx.versions.nats}`,
    elasticmq: `brokerproof/elasticmq:${ctx.versions.elasticmq}`,
    moto: `brokerproof/moto:${ctx.versions.moto}`,
    pubsub: 'brokerproof/pubsub:local',
    toxiproxy: `brokerproof/toxiproxy:${ctx.versions.toxiproxy}`,
  };
}

// From the sources and from the built package (dist/) alike.
const dockerfilesDir = join(packageRoot(import.meta.url), 'docker');

async function imageExists(tag: string): Promise<boolean> {
  return (await run('docker', ['image', 'inspect', tag], { timeoutMs: 30_000 })).code === 0;
}

export interface BuildOptions {
  only?: readonly BrokerName[];
  log?: (line: string) => void;
  /** Rebuild even when the image exists. */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Builds (when missing) the base image, Toxiproxy's and the chosen brokers' images; returns their tags. */
export async function buildImages(options: BuildOptions = {}): Promise<Record<ImageName, string>> {
  if (!which('docker')) {
    throw new BrokerUnavailableError('the docker CLI is not installed', {
      hint: 'Install Docker (Debian: apt-get install -y docker.io).',
    });
  }
  const ctx = localContext({ env: options.env });
  const log = options.log ?? (() => {});
  const tags = imageTags(ctx);
  await ensureBaseImage(ctx, log, !!options.force);
  const brokers = (options.only ?? MESSAGE_BROKER_NAMES).filter(
    (b): b is Exclude<BrokerName, StoreName> => !isStoreName(b),
  );
  const names: ImageName[] = ['toxiproxy', ...brokers];
  for (const name of names) {
    if (!options.force && (await imageExists(tags[name]))) continue;
    log(`[docker] building ${tags[name]}`);
    const context = join(ctx.paths.cache, 'docker', 'context', name);
    rmSync(context, { recursive: true, force: true });
    mkdirSync(context, { recursive: true });
    cpSync(join(dockerfilesDir, name), context, { recursive: true });
    const buildArgs = await stage(ctx, name, context, log);
    await runOrThrow(
      `docker build ${tags[name]}`,
      'docker',
      ['build', '-q', '-t', tags[name], ...buildArgs, context],
      {
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
        timeoutMs: 20 * 60_000,
      },
    );
  }
  return tags;
}

/** Puts the native artifacts into the build context; returns extra `docker build` arguments. */
async function stage(
  ctx: LocalContext,
  name: ImageName,
  context: string,
  log: (line: string) => void,
): Promise<string[]> {
  const prefixed = (line: string) => log(`[${name}] ${line}`);
  switch (name) {
    case 'kafka':
    case 'elasticmq': {
      const installation = await SERVICES[name].install(ctx, prefixed);
      cpSync(installation.home, join(context, 'libs'), { recursive: true });
      return [];
    }
    case 'nats':
    case 'toxiproxy': {
      const installation = await SERVICES[name].install(ctx, prefixed);
      cpSync(installation.home, join(context, name === 'nats' ? 'nats-server' : 'toxiproxy-server'));
      return [];
    }
    case 'pubsub': {
      const installation = await SERVICES.pubsub.install(ctx, prefixed);
      cpSync(installation.home, join(context, 'pubsub-emulator'), { recursive: true });
      return [];
    }
    case 'moto': {
      const installation = await SERVICES.moto.install(ctx, prefixed);
      const wheels = join(ctx.paths.cache, 'docker', 'wheels', `moto-${ctx.versions.moto}`);
      if (!existsSync(join(wheels, '.complete'))) {
        prefixed('downloading wheels from PyPI');
        mkdirSync(wheels, { recursive: true });
        await runOrThrow(
          'pip download moto',
          join(installation.home, 'bin', 'python'),
          [
            '-m',
            'pip',
            'download',
            '-q',
            '--disable-pip-version-check',
            '-d',
            wheels,
            `moto[server]==${ctx.versions.moto}`,
          ],
          { timeoutMs: 15 * 60_000 },
        );
        writeFileSync(join(wheels, '.complete'), '');
      }
      cpSync(wheels, join(context, 'wheels'), { recursive: true });
      return ['--build-arg', `MOTO_VERSION=${ctx.versions.moto}`];
    }
    case 'rabbitmq':
      return [];
  }
}

/** debootstrap a bookworm rootfs (cached) and `docker import` it as the base image. */
async function ensureBaseImage(
  ctx: LocalContext,
  log: (line: string) => void,
  force: boolean,
): Promise<void> {
  if (!force && (await imageExists(BASE_IMAGE))) return;
  const rootfs = join(ctx.paths.cache, 'docker', 'rootfs-bookworm');
  const mirror = ctx.env.BROKERPROOF_DEBIAN_MIRROR || 'http://deb.debian.org/debian';
  if (!existsSync(join(rootfs, '.complete'))) {
    const debootstrap = which('debootstrap', ['/usr/sbin', '/sbin']);
    if (!debootstrap || process.getuid?.() !== 0) {
      throw new BrokerUnavailableError('building the base image needs debootstrap, run as root', {
        hint: 'Run as root with debootstrap installed (apt-get install -y debootstrap).',
      });
    }
    log(`[docker] debootstrap bookworm into ${rootfs} (first time only, a few minutes)`);
    rmSync(rootfs, { recursive: true, force: true });
    await runOrThrow(
      'debootstrap',
      debootstrap,
      ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, 'bookworm', rootfs, mirror],
      { timeoutMs: 40 * 60_000 },
    );
    // rabbitmq-server in a second step, with services kept from starting inside the chroot.
    writeFileSync(join(rootfs, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    cpSync('/etc/resolv.conf', join(rootfs, 'etc/resolv.conf'));
    await runOrThrow(
      'apt-get install rabbitmq-server (chroot)',
      'chroot',
      [rootfs, 'apt-get', 'install', '-y', '--no-install-recommends', 'rabbitmq-server'],
      {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
        timeoutMs: 20 * 60_000,
      },
    );
    await run('chroot', [rootfs, 'apt-get', 'clean'], {
      env: { ...process.env, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    for (const dir of ['var/lib/apt/lists']) {
      const full = join(rootfs, dir);
      for (const entry of existsSync(full) ? readdirSync(full) : [])
        rmSync(join(full, entry), { recursive: true, force: true });
    }
    writeFileSync(join(rootfs, '.complete'), '');
  }
  log(`[docker] importing the root filesystem as ${BASE_IMAGE}`);
  await runOrThrow(
    'docker import',
    'sh',
    [
      '-c',
      `tar -C '${rootfs}' --exclude=./.complete -c . | docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'ENV LANG=C.UTF-8' - ${BASE_IMAGE}`,
    ],
    { timeoutMs: 20 * 60_000 },
  );
}
