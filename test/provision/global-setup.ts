/**
 * A vitest globalSetup for integration tests. Each test file brings up the brokers it needs itself
 * (`requireBroker` in test/helpers/brokers.ts: the project's provisioner, idempotent, cached), so a
 * run starts only what its selected files use. This setup notes what was running before the run
 * and, afterwards, stops what the run started — brokers and Toxiproxy — leaving alone what was
 * already up (e.g. brokers `.ci/run` or a developer started).
 *
 *   BROKERPROOF_TEST_KEEP_BROKERS=1   leave everything running afterwards
 */
import { brokersDown, brokersStatus } from '../../provision/local/index.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const before = await brokersStatus();
  const wasUp = new Set(Object.entries(before.brokers).flatMap(([name, s]) => (s?.up ? [name] : [])));
  const toxiproxyWasUp = before.toxiproxy.up;
  return async () => {
    if (process.env.BROKERPROOF_TEST_KEEP_BROKERS === '1') return;
    const after = await brokersStatus();
    const started = Object.entries(after.brokers).flatMap(([name, s]) =>
      s?.up && !wasUp.has(name) ? [name as keyof typeof after.brokers] : [],
    );
    const toxiproxy = after.toxiproxy.up && !toxiproxyWasUp;
    if (started.length > 0 || toxiproxy) {
      await brokersDown({ only: started, toxiproxy, log: (line) => process.stderr.write(`${line}\n`) });
    }
  };
}
