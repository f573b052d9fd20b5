// A consumer in a process of its own, so a crash is a real SIGKILL. Started by ProcessConsumer with
// a JSON spec as its only argument; records through the pipe; SIGTERM stops it cleanly.
import { CaseClock } from '../core/clock.ts';
import { describeError } from '../core/errors.ts';
import { forkRandom } from '../core/random.ts';
import { createDriver } from '../drivers/index.ts';
import { findScenario } from '../scenarios/catalogue.ts';
import { withHandler } from '../scenarios/kit/your-handler.ts';
import { openWorkerStore } from './case-store.ts';
import { ConsumerClient } from './consumer-client.ts';
import { CrashClaims } from './crash-claims.ts';
import type { ConsumerWorkerSpec } from './process-consumer.ts';
import { PipeRecorder } from './worker-pipe.ts';

// stdout carries the event protocol: anything a library prints goes to stderr instead.
console.log = console.error;
console.info = console.error;

const spec = JSON.parse(process.argv[2] ?? '{}') as ConsumerWorkerSpec;
const recorder = new PipeRecorder(new CaseClock(spec.epochMs));
const controller = new AbortController();

try {
  const driver = await createDriver(spec.driver, spec.settings);
  if (!driver.attach) throw new Error(`driver ${spec.driver} cannot attach from another process`);
  const topology = await driver.attach(spec.descriptor, {
    signal: controller.signal,
    log: (m) => console.error(m),
  });
  const found = findScenario(spec.scenario);
  if (!found) throw new Error(`unknown scenario ${spec.scenario}`);
  const scenario = spec.handler ? withHandler(found, spec.handler, spec.handlerStore) : found;
  const store = await openWorkerStore(scenario, spec.store, spec.variant);
  const client = new ConsumerClient({
    name: spec.name,
    group: spec.group,
    via: spec.via,
    topology,
    recorder,
    scenario,
    variant: spec.variant,
    workload: spec.workload,
    crashes: spec.crashes,
    claims: new CrashClaims(spec.claimsDir),
    store: store.opened,
    random: forkRandom(spec.workload.seed, `${spec.name}#${spec.deliveriesSoFar}`),
    ackOnDelivery: spec.ackOnDelivery,
    pipeline: spec.pipeline,
    restartDelayMs: 0,
    deliveriesSoFar: spec.deliveriesSoFar,
    // Everything recorded up to the crash is in the pipe before the kill.
    die: () => {
      recorder.flush();
      process.kill(process.pid, 'SIGKILL');
    },
    log: (message) => console.error(`consumer worker ${message}`),
  });
  await client.start();
  recorder.control('ready');
  const stop = async () => {
    controller.abort();
    await client.stop().catch(() => {});
    await topology.close().catch(() => {});
    await store.close().catch(() => {});
    await driver.close().catch(() => {});
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => {}); // the runner decides when consumers stop
} catch (error) {
  console.error(`consumer worker ${spec.name}: ${describeError(error)}`);
  process.exit(3);
}
