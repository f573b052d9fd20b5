import { PUBSUB_PROJECT_ID, type PubsubEndpoint } from '../../provision/endpoints.ts';
import type { Driver } from '../driver.ts';
import { faultTargetsOf, type Placement } from '../placement.ts';
import { DEFAULT_LEASES } from './client.ts';
import { PubsubDriver } from './pubsub-driver.ts';
import type { PubsubSettings } from './settings.ts';

/**
 * The emulator at `settings.apiEndpoint` (every client there), else Google Cloud when
 * `settings.projectId` is set, else the placed emulator: admin clients through its own proxy,
 * producers and consumers through their roles'. Network faults reach it through its proxies;
 * broker faults are not offered (the emulator loses everything on a kill: setups.ts). Without any,
 * the driver can only attach (worker processes).
 */
export async function createPubsubDriver(
  settings: PubsubSettings = {},
  placement: Placement = {},
): Promise<Driver> {
  const endpoint =
    placement.endpoint?.broker === 'pubsub' ? (placement.endpoint as PubsubEndpoint) : undefined;
  const placed = settings.apiEndpoint || settings.projectId ? undefined : endpoint;
  const roles = placed?.roles;
  const endpoints = settings.apiEndpoint
    ? { admin: settings.apiEndpoint }
    : placed
      ? {
          admin: placed.apiEndpoint,
          roles: roles && { producers: roles.producers.apiEndpoint, consumers: roles.consumers.apiEndpoint },
        }
      : undefined;
  const targets = placed && faultTargetsOf(placed, false);
  return new PubsubDriver({
    projectId: settings.projectId ?? placed?.projectId ?? PUBSUB_PROJECT_ID,
    endpoints,
    attachOnly: !endpoints && !settings.projectId,
    ackDeadlineSeconds: settings.ackDeadlineSeconds ?? DEFAULT_LEASES.ackDeadlineSeconds,
    maxExtensionSeconds: settings.maxExtensionSeconds ?? DEFAULT_LEASES.maxExtensionSeconds,
    publishTimeoutMs: settings.publishTimeoutMs ?? 5000,
    flowControlMessages: settings.flowControlMessages ?? DEFAULT_LEASES.flowControlMessages,
    retryMinBackoffMs: settings.retryMinBackoffMs ?? 200,
    retryMaxBackoffMs: settings.retryMaxBackoffMs ?? 2000,
    // Network faults only: `native: false` leaves the process out of reach (no broker-kill/pause).
    faultTargets: targets,
  });
}
