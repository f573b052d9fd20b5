/**
 * Starting one broker container so that a failure says which broker it was and what it printed:
 * testcontainers reports a container that exits during its wait as a bare "(HTTP code 409)
 * container … is not running". A container that exits while starting is started once more (a
 * broker's first start on a loaded 2-core machine can lose a race with its own runtime); the
 * first failure is logged, a second one is thrown with the broker's last log lines.
 */
import type { Readable } from 'node:stream';
import type { StartedTestContainer } from 'testcontainers';
import { BrokerUnavailableError, describeError } from '../../core/errors.ts';
import type { MessageBrokerName } from '../endpoints.ts';

type Testcontainers = typeof import('testcontainers');
type StartedNetwork = Awaited<ReturnType<InstanceType<Testcontainers['Network']>['start']>>;

export interface BrokerContainerSpec {
  broker: MessageBrokerName;
  tag: string;
  network: StartedNetwork;
  environment: Record<string, string>;
  exposedPort: number;
  startupTimeoutMs: number;
}

/** Keeps the last `limit` lines a container printed (stdout and stderr). */
export class LogTail {
  private readonly lines: string[] = [];
  private partial = '';
  constructor(private readonly limit = 40) {}

  consume = (stream: Readable): void => {
    stream.on('data', (chunk: Buffer | string) => this.push(String(chunk)));
    stream.on('error', () => {});
  };

  push(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > this.limit) this.lines.shift();
    }
  }

  text(): string {
    return [...this.lines, ...(this.partial ? [this.partial] : [])].slice(-this.limit).join('\n');
  }
}

export async function startBrokerContainer(
  tc: Testcontainers,
  spec: BrokerContainerSpec,
  log: (line: string) => void,
  attempts = 2,
): Promise<StartedTestContainer> {
  let lastError: unknown;
  let lastTail = new LogTail();
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const tail = new LogTail();
    lastTail = tail;
    try {
      return await new tc.GenericContainer(spec.tag)
        .withNetwork(spec.network)
        .withNetworkAliases(spec.broker)
        .withLabels({ 'dev.brokerproof': spec.broker })
        .withEnvironment(spec.environment)
        .withExposedPorts(spec.exposedPort)
        .withStartupTimeout(spec.startupTimeoutMs)
        .withLogConsumer(tail.consume)
        .start();
    } catch (error) {
      lastError = error;
      if (attempt < attempts) {
        log(
          `[${spec.broker}] container failed to start (${describeError(error)}); starting it once more. Its last lines:\n${indent(tail.text())}`,
        );
      }
    }
  }
  throw new BrokerUnavailableError(
    `${spec.broker}: its container did not start (${attempts} attempts): ${describeError(lastError)}\n` +
      `last lines it printed:\n${indent(lastTail.text() || '(nothing)')}`,
    { cause: lastError },
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
