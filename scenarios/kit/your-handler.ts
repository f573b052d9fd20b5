/**
 * Your handler under test: a team's own consumer code in place of a scenario's simulated
 * processing. The scenario's step stays as it is — when it acks, where it crashes, how it retries —
 * and where the built-in step would "work" on a message, the team's handler runs: throwing makes
 * the delivery fail (nack, redelivery, dead-lettering after N attempts), returning lets the step
 * record `process` and ack. The harness records deliver/process/ack around it as always.
 *
 * The wrapped scenario remembers the handler's module, so consumer worker processes load the same
 * handler (runner/consumer-worker.ts), and a crash there is a real SIGKILL of the team's code.
 */
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, describeError } from '../../core/errors.ts';
import { importModule } from '../../core/import-module.ts';
import type { Delivery } from '../../drivers/driver.ts';
import type { ConsumerStep, Scenario } from '../scenario.ts';
import { ConsumerCrashedError } from './consumer-crashed.ts';
import { type HandlerDb, type HandlerStoreConfig, handlerDb, withStore } from './handler-store.ts';

/** What your handler receives: the message as the broker delivered it. */
export interface HandlerMessage {
  /** The message id (also in `headers['message-id']`). */
  id: string;
  key?: string | undefined;
  /** The body as sent. */
  payload: Uint8Array;
  /**
   * `message-id`, `key` when keyed, `delivery-count` when the broker counts deliveries, and
   * `x-brokerproof-poison: 'true'` on messages the workload marks poison — a handler tested with
   * a dead-letter claim throws on those, as it would on a malformed message.
   */
  headers: Readonly<Record<string, string>>;
  /** The broker says it delivered this message before. */
  redelivered: boolean;
  /** The broker's count of deliveries, this one included, when it keeps one. */
  deliveryCount?: number | undefined;
}

/** Where your handler runs. */
export interface HandlerContext {
  /** The consumer (`consumer-0`, …) and its subscriber group. */
  consumer: string;
  group: string;
  /**
   * Acknowledges the message now, for handlers that manage acks themselves (recorded like the
   * harness's own ack; the harness then sends none). A planned crash may strike right after it:
   * then this rejects and the rest of your handler must not run — as in a process that died there.
   */
  ack(): Promise<void>;
  /**
   * The case's PostgreSQL schema, when the config gives the handler a store (`handlerStore`):
   * write your effects here, and the harness judges them from what the store holds.
   */
  db?: HandlerDb | undefined;
}

export { ConsumerCrashedError };

/** Your handler: resolve when the message is processed; throw (or reject) to fail it. */
export type MessageHandler = (message: HandlerMessage, context: HandlerContext) => Promise<void> | void;

/** A scenario whose simulated processing is replaced by a handler module. */
export type HandlerScenario = Scenario & {
  readonly handlerModule: string;
  readonly handlerStore?: HandlerStoreConfig | undefined;
};

/** The handler module of a scenario, when it runs one (for worker processes). */
export function handlerModuleOf(scenario: Scenario): string | undefined {
  const module = (scenario as Partial<HandlerScenario>).handlerModule;
  return typeof module === 'string' ? module : undefined;
}

/** The handler's store of a scenario, when its handler has one (for worker processes). */
export function handlerStoreOf(scenario: Scenario): HandlerStoreConfig | undefined {
  return (scenario as Partial<HandlerScenario>).handlerStore;
}

/**
 * Why a scenario cannot run your handler: its consumer step does more than process a message
 * (a ledger in a store, an outbox producer, its own checker), so a handler would replace what it tests.
 */
export function handlerUnfit(scenario: Scenario): string | undefined {
  if (scenario.store || scenario.checker || scenario.producing.produce)
    return `scenario ${scenario.name} runs its own application code (a store, a producer step or a checker of its own); a handler runs in work-queue, fan-out, ordered, retry-dlq and at-most-once`;
  return undefined;
}

const loaded = new Map<string, Promise<MessageHandler>>();

/** Imports the handler module (TypeScript too, through tsx when Node cannot load it alone). */
export function loadHandler(module: string): Promise<MessageHandler> {
  let handler = loaded.get(module);
  if (!handler) {
    handler = importHandler(module);
    loaded.set(module, handler);
    handler.catch(() => loaded.delete(module));
  }
  return handler;
}

async function importHandler(module: string): Promise<MessageHandler> {
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(module);
  } catch (cause) {
    throw loadError(module, cause);
  }
  const handler = exports.default ?? exports.handler;
  if (typeof handler !== 'function') {
    throw new ConfigError(`handler module ${module} exports no function`, {
      hint: 'Export it as the default export: `export default async (message, context) => { … }` (or a named export `handler`).',
    });
  }
  return handler as MessageHandler;
}

function loadError(module: string, cause: unknown): ConfigError {
  return new ConfigError(`cannot load handler module ${module}: ${describeError(cause)}`, {
    cause,
    hint: 'Check the `handler` path in the config (relative to the config file) and that the module loads.',
  });
}

/** The handler's module as an absolute path (relative paths from `baseDir`). */
export function resolveHandlerPath(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/**
 * `scenario` with your handler in place of its simulated processing. Throws when the scenario runs
 * its own application code (see `handlerUnfit`).
 */
export function withHandler(scenario: Scenario, module: string, store?: HandlerStoreConfig): HandlerScenario {
  const unfit = handlerUnfit(scenario);
  if (unfit)
    throw new ConfigError(unfit, { hint: 'Name the scenarios to run with `scenarios` in the config.' });
  const wrapped: HandlerScenario = {
    ...scenario,
    handlerModule: module,
    description: `${scenario.description} Processing: your handler (${module}).`,
    consume: async (d, step) => scenario.consume(d, await handlerStep(d, step, module)),
  };
  return store ? withStore({ ...wrapped, handlerStore: store }, store) : wrapped;
}

function headersOf(d: Delivery): Record<string, string> {
  const headers: Record<string, string> = { 'message-id': d.id };
  if (d.key !== undefined) headers.key = d.key;
  if (d.deliveryCount !== undefined) headers['delivery-count'] = String(d.deliveryCount);
  if (d.poison) headers['x-brokerproof-poison'] = 'true';
  return headers;
}

/**
 * The step with `work` running the handler and `failure` saying whether it threw (poison when the
 * message is, else transient: the step nacks it for redelivery either way).
 */
async function handlerStep(
  d: Delivery,
  step: ConsumerStep<unknown>,
  module: string,
): Promise<ConsumerStep<unknown>> {
  const handler = await loadHandler(module);
  let threw = false;
  let acked = false;
  const ack = async () => {
    if (acked) return;
    acked = true;
    if (step.ackOnDelivery) return;
    if (!(await step.ack()) || (await step.crashAt('after-ack'))) throw new ConsumerCrashedError();
  };
  // Delegated member by member: a step's actions are methods of its object, which a spread leaves out.
  return {
    name: step.name,
    group: step.group,
    variant: step.variant,
    workload: step.workload,
    random: step.random,
    ackOnDelivery: step.ackOnDelivery,
    pipeline: step.pipeline,
    store: step.store,
    crashAt: (point) => step.crashAt(point),
    alive: () => step.alive(),
    processed: () => step.processed(),
    effect: (txn, applied) => step.effect(txn, applied),
    forward: () => step.forward(),
    record: (event) => step.record(event),
    // One ack per delivery, whoever sends it (the step before processing, or the handler itself);
    // what the handler acknowledged itself is not given back either.
    ack: async () => {
      if (acked) return step.alive();
      acked = true;
      return step.ack();
    },
    nack: async (reason, delayMs) => (acked ? step.alive() : step.nack(reason, delayMs)),
    work: async () => {
      try {
        await handler(
          {
            id: d.id,
            key: d.key,
            payload: d.payload,
            headers: headersOf(d),
            redelivered: d.redelivered === true || (d.deliveryCount ?? 1) > 1,
            deliveryCount: d.deliveryCount,
          },
          { consumer: step.name, group: step.group, ack, db: handlerDb(step) },
        );
      } catch {
        threw = true;
      }
      return step.alive();
    },
    failure: () => (threw ? (d.poison ? 'poison' : 'transient') : undefined),
  };
}
