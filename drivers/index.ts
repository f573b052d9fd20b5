import type { BrokerName } from '../core/brokers.ts';
import { UsageError } from '../core/errors.ts';
import type { Driver } from './driver.ts';
import type { KafkaSettings } from './kafka/settings.ts';
import type { MemorySettings } from './memory/settings.ts';
import type { NatsSettings } from './nats/settings.ts';
import type { Placement } from './placement.ts';
import { type PubsubSettings, pubsubBrokerFor } from './pubsub/settings.ts';
import type { RabbitmqSettings } from './rabbitmq/settings.ts';
import { type SqsSettings, sqsBrokerFor } from './sqs/settings.ts';

/** Settings per driver, as in the config file's `drivers` section (schemas in each driver's settings.ts). */
export interface DriverSettings {
  memory?: MemorySettings;
  rabbitmq?: RabbitmqSettings;
  nats?: NatsSettings;
  sqs?: SqsSettings;
  kafka?: KafkaSettings;
  pubsub?: PubsubSettings;
}

export type { Placement } from './placement.ts';

/**
 * Every driver brokerproof knows, by name. Each is imported on demand, so a run only loads the
 * client library it uses. Where its broker is comes from its settings, else from the placement
 * its caller hands over (a provisioner's endpoint); with neither it can only attach to topologies
 * created elsewhere (drivers/placement.ts).
 */
const DRIVER_FACTORIES: {
  [N in keyof DriverSettings]-?: (settings: DriverSettings[N], placement: Placement) => Promise<Driver>;
} = {
  memory: async (settings) => (await import('./memory/index.ts')).createMemoryDriver(settings),
  rabbitmq: async (settings, placement) =>
    (await import('./rabbitmq/index.ts')).createRabbitmqDriver(settings, placement),
  nats: async (settings, placement) =>
    (await import('./nats/index.ts')).createNatsDriver(settings, placement),
  sqs: async (settings, placement) => (await import('./sqs/index.ts')).createSqsDriver(settings, placement),
  kafka: async (settings, placement) =>
    (await import('./kafka/index.ts')).createKafkaDriver(settings, placement),
  pubsub: async (settings, placement) =>
    (await import('./pubsub/index.ts')).createPubsubDriver(settings, placement),
};

/**
 * The broker a driver needs provisioned (`--provision`), unless its settings already say where the
 * broker is. The memory driver needs none.
 */
export function brokerFor(name: string, settings: DriverSettings = {}): BrokerName | undefined {
  switch (name) {
    case 'rabbitmq':
      return settings.rabbitmq?.url ? undefined : 'rabbitmq';
    case 'kafka':
      return settings.kafka?.brokers ? undefined : 'kafka';
    case 'nats':
      return settings.nats?.servers ? undefined : 'nats';
    case 'sqs':
      return sqsBrokerFor(settings.sqs);
    case 'pubsub':
      return pubsubBrokerFor(settings.pubsub);
    default:
      return undefined;
  }
}

export const DRIVER_NAMES = Object.keys(DRIVER_FACTORIES) as (keyof DriverSettings)[];

const isDriverName = (name: string): name is keyof DriverSettings => name in DRIVER_FACTORIES;

/** A driver by name, for the broker its settings name, else the one placed by its caller. */
export async function createDriver(
  name: string,
  settings: DriverSettings = {},
  placement: Placement = {},
): Promise<Driver> {
  if (!isDriverName(name)) {
    throw new UsageError(`unknown driver "${name}"`, { hint: `Drivers: ${DRIVER_NAMES.join(', ')}.` });
  }
  const factory = DRIVER_FACTORIES[name] as (s: unknown, p: Placement) => Promise<Driver>;
  return factory(settings[name], placement);
}
