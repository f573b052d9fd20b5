/**
 * The Google Cloud Pub/Sub emulator from the Cloud SDK on the machine (it is not on any registry this
 * machine reaches, so it is detected, not installed). State is in memory.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerUnavailableError } from '../../../core/errors.ts';
import { JAVA_HINT, requireTool } from '../install.ts';
import type { LocalService } from '../service.ts';

export const PUBSUB_EMULATOR_CANDIDATES = [
  '/usr/lib/google-cloud-sdk/platform/pubsub-emulator',
  '/usr/share/google-cloud-sdk/platform/pubsub-emulator',
  '/opt/google-cloud-sdk/platform/pubsub-emulator',
  '/google-cloud-sdk/platform/pubsub-emulator',
];

/**
 * The emulator's directory (holding bin/cloud-pubsub-emulator), or undefined. BROKERPROOF_PUBSUB_EMULATOR_DIR,
 * when set, is the only place looked at.
 */
export function findPubsubEmulator(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.BROKERPROOF_PUBSUB_EMULATOR_DIR;
  if (explicit) return existsSync(join(explicit, 'bin', 'cloud-pubsub-emulator')) ? explicit : undefined;
  const candidates = [
    env.CLOUDSDK_ROOT_DIR ? join(env.CLOUDSDK_ROOT_DIR, 'platform', 'pubsub-emulator') : undefined,
    env.HOME ? join(env.HOME, 'google-cloud-sdk', 'platform', 'pubsub-emulator') : undefined,
    ...PUBSUB_EMULATOR_CANDIDATES,
  ];
  return candidates.find((dir) => dir && existsSync(join(dir, 'bin', 'cloud-pubsub-emulator')));
}

export function pubsubEmulatorVersion(dir: string): string {
  try {
    for (const file of readdirSync(join(dir, 'lib'))) {
      const match = file.match(/cloud-pubsub-emulator-(\d+(?:\.\d+)+)/);
      if (match?.[1]) return match[1];
    }
  } catch {
    // unknown layout
  }
  return 'unknown';
}

/**
 * Why the emulator cannot run on this machine (not found, or no Java), or undefined when it can:
 * what Pub/Sub tests print when they skip.
 */
export function pubsubUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!findPubsubEmulator(env))
    return 'the Google Cloud Pub/Sub emulator was not found (it ships with the Cloud SDK: gcloud components install pubsub-emulator, or set BROKERPROOF_PUBSUB_EMULATOR_DIR)';
  try {
    requireTool('java', JAVA_HINT);
  } catch {
    return `the Pub/Sub emulator needs Java, which is not on PATH (${JAVA_HINT})`;
  }
  return undefined;
}

export const pubsub: LocalService = {
  name: 'pubsub',
  detectedOnly: true,
  upstreamPort: (ports) => ports.pubsub.upstream,
  extraPorts: () => [],
  stopGraceMs: 10_000,
  startTimeoutMs: 90_000,

  async install(ctx) {
    const dir = findPubsubEmulator(ctx.env);
    if (!dir) {
      throw new BrokerUnavailableError('the Google Cloud Pub/Sub emulator was not found', {
        hint:
          'It ships with the Google Cloud SDK: `gcloud components install pubsub-emulator`, or the Debian/Ubuntu package ' +
          'google-cloud-cli-pubsub-emulator from Google’s apt repository. If it is installed elsewhere, set ' +
          'BROKERPROOF_PUBSUB_EMULATOR_DIR to the directory holding bin/cloud-pubsub-emulator. Or use --provision docker, ' +
          'or skip it with --only.',
      });
    }
    requireTool('java', JAVA_HINT);
    return { version: pubsubEmulatorVersion(dir), home: dir };
  },

  async prepare(ctx, installation, stateDir) {
    return {
      command: join(installation.home, 'bin', 'cloud-pubsub-emulator'),
      args: [`--host=${ctx.ports.host}`, `--port=${ctx.ports.pubsub.upstream}`],
      env: { JAVA_OPTS: '-Xms64m -Xmx512m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError' },
      logFile: join(stateDir, 'pubsub.log'),
    };
  },
};
