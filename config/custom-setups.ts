/**
 * Custom setups in the config: `{ name, extends: 'rabbitmq/quorum', options, claim }`. Options are
 * validated by the extended driver's schema, applied by its customizer (drivers/<name>/setups.ts),
 * and the claim checked against what the result can express — all before anything starts.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { DELIVERY_GUARANTEES, type DeliveryGuarantee, ORDERING_SCOPES } from '../core/guarantee.ts';
import type { SetupCustomizer, SetupOptionProblem } from '../drivers/custom-setup.ts';
import type { Driver, Setup } from '../drivers/driver.ts';
import { KAFKA_SETUPS, kafkaCustomizer } from '../drivers/kafka/setups.ts';
import { MEMORY_SETUPS, memoryCustomizer } from '../drivers/memory/setups.ts';
import { NATS_SETUPS, natsCustomizer } from '../drivers/nats/setups.ts';
import { PUBSUB_SETUPS, pubsubCustomizer } from '../drivers/pubsub/setups.ts';
import { RABBITMQ_SETUPS, rabbitmqCustomizer } from '../drivers/rabbitmq/setups.ts';
import { SQS_SETUPS, sqsCustomizer } from '../drivers/sqs/setups.ts';

/** A driver's built-in setups and how a team may customise them. */
export interface Customizable {
  setups: readonly Setup[];
  // biome-ignore lint/suspicious/noExplicitAny: each driver's options type differs; its schema checks them.
  customizer: SetupCustomizer<any>;
}

/** Every driver whose setups a config can extend (a new driver adds its line here). */
export const CUSTOMIZABLE: Readonly<Record<string, Customizable>> = {
  memory: { setups: MEMORY_SETUPS, customizer: memoryCustomizer },
  rabbitmq: { setups: RABBITMQ_SETUPS, customizer: rabbitmqCustomizer },
  kafka: { setups: KAFKA_SETUPS, customizer: kafkaCustomizer },
  nats: { setups: NATS_SETUPS, customizer: natsCustomizer },
  sqs: { setups: SQS_SETUPS, customizer: sqsCustomizer },
  pubsub: { setups: PUBSUB_SETUPS, customizer: pubsubCustomizer },
};

export const customSetupSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "-" and "_"'),
  extends: z
    .string()
    .regex(/^[a-z0-9-]+\/[A-Za-z0-9._-]+$/, 'the driver and its setup, e.g. "rabbitmq/quorum"'),
  description: z.string().min(1).optional(),
  /** The extended driver's own options (validated by its schema). */
  options: z.record(z.string(), z.unknown()).optional(),
  claim: z
    .strictObject({
      delivery: z.enum(DELIVERY_GUARANTEES).optional(),
      ordering: z.enum(ORDERING_SCOPES).optional(),
      maxAttempts: z.number().int().positive().optional(),
    })
    .optional(),
});
export type CustomSetupConfig = z.input<typeof customSetupSchema>;

/** The driver a custom setup extends. */
export const driverOfCustom = (entry: CustomSetupConfig): string => entry.extends.split('/')[0]!;

/** Delivery guarantees a configuration giving `strongest` can honestly claim. */
function expressible(strongest: DeliveryGuarantee): readonly DeliveryGuarantee[] {
  return strongest === 'exactly-once' ? ['exactly-once', 'at-least-once', 'at-most-once'] : [strongest];
}

/**
 * Resolves every custom setup of a config into a Setup, or throws one ConfigError naming every
 * problem by its key path (`setups.0.options.queueArguments.x-delivery-limit: …`).
 */
export function resolveCustomSetups(
  entries: readonly { index: number; entry: CustomSetupConfig }[],
  catalogue: Readonly<Record<string, Customizable>> = CUSTOMIZABLE,
): Setup[] {
  const problems: string[] = [];
  const resolved: Setup[] = [];
  const seen = new Set<string>();
  for (const { index, entry } of entries) {
    const at = `setups.${index}`;
    const before = problems.length;
    const result = resolveOne(entry, at, catalogue, problems);
    if (seen.has(entry.name)) problems.push(`  - ${at}.name: "${entry.name}" is defined twice`);
    seen.add(entry.name);
    if (result && problems.length === before) resolved.push(result);
  }
  if (problems.length) {
    throw new ConfigError(`invalid custom setup${entries.length > 1 ? 's' : ''}:\n${problems.join('\n')}`, {
      hint: 'See docs/api.md ("Custom setups") for the options each driver takes and the claims they can express.',
    });
  }
  return resolved;
}

function resolveOne(
  entry: CustomSetupConfig,
  at: string,
  catalogue: Readonly<Record<string, Customizable>>,
  problems: string[],
): Setup | undefined {
  const [driverName = '', baseName = ''] = entry.extends.split('/');
  const driver = catalogue[driverName];
  if (!driver) {
    problems.push(
      `  - ${at}.extends: driver "${driverName}" has no setups to extend (drivers: ${Object.keys(catalogue).join(', ')})`,
    );
    return undefined;
  }
  const base = driver.setups.find((s) => s.name === baseName);
  if (!base) {
    problems.push(
      `  - ${at}.extends: ${driverName} has no setup "${baseName}" (setups: ${driver.setups.map((s) => s.name).join(', ')})`,
    );
    return undefined;
  }
  if (driver.setups.some((s) => s.name === entry.name))
    problems.push(`  - ${at}.name: "${entry.name}" is a built-in setup of ${driverName}; pick another name`);
  const parsed = driver.customizer.schema.safeParse(entry.options ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = [`${at}.options`, ...issue.path.map(String)].join('.');
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} for ${entry.extends}`
          : issue.message;
      problems.push(`  - ${path}: ${message}`);
    }
    return undefined;
  }
  const applied = driver.customizer.apply(base, parsed.data);
  if (Array.isArray(applied)) {
    for (const p of applied as SetupOptionProblem[])
      problems.push(`  - ${at}.options${p.key ? `.${p.key}` : ''}: ${p.message}`);
    return undefined;
  }
  const claim = entry.claim ?? {};
  const strongest = applied.delivery ?? base.claim.delivery;
  if (claim.delivery !== undefined && !expressible(strongest).includes(claim.delivery)) {
    problems.push(
      `  - ${at}.claim.delivery: ${entry.extends}${entry.options ? ' with these options' : ''} gives ${strongest}; it cannot claim ${claim.delivery} (test the assumption with --guarantee ${claim.delivery} instead)`,
    );
  }
  const scopes = applied.orderingScopes ?? base.orderingScopes;
  if (claim.ordering !== undefined && claim.ordering !== 'none' && !scopes.includes(claim.ordering)) {
    problems.push(
      `  - ${at}.claim.ordering: ${entry.extends}${entry.options ? ' with these options' : ''} keeps ${scopes.join(', ')} order only; it cannot claim ${claim.ordering}`,
    );
  }
  if (claim.maxAttempts !== undefined && !applied.deadLetters) {
    problems.push(
      `  - ${at}.claim.maxAttempts: ${entry.extends} dead-letters nothing; extend a setup with a dead-letter queue or set the driver's delivery limit option`,
    );
  }
  if (
    claim.maxAttempts !== undefined &&
    applied.fixedMaxAttempts !== undefined &&
    claim.maxAttempts !== applied.fixedMaxAttempts
  ) {
    problems.push(
      `  - ${at}.claim.maxAttempts: options.${applied.fixedMaxAttemptsKey} dead-letters after ${applied.fixedMaxAttempts} deliveries, not ${claim.maxAttempts}`,
    );
  }
  const delivery = claim.delivery ?? strongest;
  const ordering =
    claim.ordering ??
    (base.claim.ordering === 'none' || scopes.includes(base.claim.ordering) ? base.claim.ordering : 'none');
  const maxAttempts = applied.deadLetters
    ? (claim.maxAttempts ?? applied.fixedMaxAttempts ?? base.claim.maxAttempts ?? 3)
    : undefined;
  // The vendor's word stands only for the vendor's configuration.
  const vendor = base.claimBasis === 'vendor' && delivery === base.claim.delivery;
  const notes = applied.notes.length ? ` Custom options: ${applied.notes.join('; ')}.` : '';
  return {
    ...base,
    name: entry.name,
    extends: entry.extends,
    description:
      entry.description ??
      `${entry.name}, a custom setup extending ${entry.extends}: ${base.description}${notes}`,
    claim: { ...base.claim, delivery, ordering, maxAttempts },
    claimBasis: vendor ? 'vendor' : 'configuration',
    vendorClaim: vendor ? base.vendorClaim : undefined,
    orderingScopes: scopes,
    ackMode: applied.ackMode ?? base.ackMode,
    ...('deliversInBatches' in applied && { deliversInBatches: applied.deliversInBatches }),
    ...('pipeline' in applied && { pipeline: applied.pipeline }),
    options: applied.options,
  };
}

/** The custom setups of a config's `setups` list, with their index (for error paths). */
export function customEntries(
  setups: readonly (string | CustomSetupConfig)[] | undefined,
): { index: number; entry: CustomSetupConfig }[] {
  return (setups ?? []).flatMap((entry, index) => (typeof entry === 'string' ? [] : [{ index, entry }]));
}

/**
 * The driver with custom setups first among its own. Each keeps what the live driver knows of its
 * base (a setup unavailable on this broker stays unavailable). Everything else is the driver's.
 */
export function withCustomSetups(driver: Driver, custom: readonly Setup[]): Driver {
  const mine = custom.filter((s) => s.extends?.startsWith(`${driver.name}/`));
  if (mine.length === 0) return driver;
  const setups = [
    ...mine.map((s) => {
      const live = driver.setups.find((b) => `${driver.name}/${b.name}` === s.extends);
      return live?.unavailable ? { ...s, unavailable: live.unavailable } : s;
    }),
    ...driver.setups,
  ];
  return new Proxy(driver, {
    get(target, property) {
      if (property === 'setups') return setups;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A replayed case's custom setup, rebuilt from its result: the base with the options it ran with. */
export function replayedSetups(result: {
  setup: string;
  setupExtends?: string | undefined;
  setupOptions?: Readonly<Record<string, unknown>> | undefined;
  guarantee: Setup['claim'];
}): Setup[] {
  if (result.setupExtends === undefined) return [];
  const [driver = '', baseName = ''] = result.setupExtends.split('/');
  const base = CUSTOMIZABLE[driver]?.setups.find((s) => s.name === baseName);
  if (!base) return [];
  return [
    {
      ...base,
      name: result.setup,
      extends: result.setupExtends,
      claim: result.guarantee,
      options: result.setupOptions ?? base.options,
    },
  ];
}
