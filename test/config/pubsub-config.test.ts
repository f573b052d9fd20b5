import { describe, expect, it } from 'vitest';
import { customEntries, resolveCustomSetups } from '../../config/custom-setups.ts';
import { parseConfig } from '../../config/load-config.ts';
import type { Setup } from '../../drivers/driver.ts';

const resolveOne = (entry: Record<string, unknown>): Setup =>
  resolveCustomSetups(customEntries(parseConfig({ setups: [entry] }).setups))[0]!;

const problemsOf = (entry: Record<string, unknown>): string => {
  try {
    resolveOne(entry);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
};

describe('pubsub in the config', () => {
  it('takes drivers.pubsub settings and refuses unknown or out-of-range ones', () => {
    expect(
      parseConfig({ drivers: { pubsub: { ackDeadlineSeconds: 20, projectId: 'my-project' } } }).drivers
        ?.pubsub,
    ).toEqual({
      ackDeadlineSeconds: 20,
      projectId: 'my-project',
    });
    expect(() => parseConfig({ drivers: { pubsub: { ackDeadlineSeconds: 5 } } })).toThrow(
      /ackDeadlineSeconds/,
    );
    expect(() => parseConfig({ drivers: { pubsub: { pushPort: 1 } } })).toThrow(/pushPort/);
  });

  it('a custom pull setup with a dead-letter policy claims exactly its attempts', () => {
    const setup = resolveOne({
      name: 'orders-sub',
      extends: 'pubsub/pull',
      options: {
        deadLetterPolicy: { maxDeliveryAttempts: 7 },
        retryPolicy: { minimumBackoffMs: 100, maximumBackoffMs: 1000 },
      },
    });
    expect(setup).toMatchObject({
      extends: 'pubsub/pull',
      claim: { delivery: 'at-least-once', ordering: 'none', maxAttempts: 7 },
      options: { deadLetter: true, maxDeliveryAttempts: 7, retryBackoffMs: { min: 100, max: 1000 } },
    });
    expect(setup.description).toMatch(/dead-letter after 7 delivery attempts; retry backoff 100–1000 ms/);
  });

  it('message ordering on pull can claim per-key order; without it, it cannot', () => {
    expect(
      resolveOne({
        name: 'ordered-sub',
        extends: 'pubsub/pull',
        options: { enableMessageOrdering: true },
        claim: { ordering: 'per-key' },
      }),
    ).toMatchObject({
      claim: { ordering: 'per-key' },
      options: { ordering: true },
      orderingScopes: ['per-key'],
    });
    expect(problemsOf({ name: 'x', extends: 'pubsub/pull', claim: { ordering: 'per-key' } })).toMatch(
      /claim\.ordering/,
    );
  });

  it('names contradictory and out-of-range options by their key', () => {
    expect(
      problemsOf({
        name: 'x',
        extends: 'pubsub/pull',
        options: { retryPolicy: { minimumBackoffMs: 5000, maximumBackoffMs: 1000 } },
      }),
    ).toMatch(/setups\.0\.options\.retryPolicy\.minimumBackoffMs/);
    expect(
      problemsOf({
        name: 'x',
        extends: 'pubsub/pull',
        options: { deadLetterPolicy: { maxDeliveryAttempts: 3 } },
      }),
    ).toMatch(/setups\.0\.options\.deadLetterPolicy\.maxDeliveryAttempts/);
    expect(
      problemsOf({ name: 'x', extends: 'pubsub/push', options: { enableMessageOrdering: true } }),
    ).toMatch(/enableMessageOrdering/);
    expect(
      problemsOf({
        name: 'x',
        extends: 'pubsub/dead-letter',
        options: { deadLetterPolicy: { maxDeliveryAttempts: 6 } },
        claim: { maxAttempts: 5 },
      }),
    ).toMatch(/dead-letters after 6 deliveries, not 5/);
    expect(problemsOf({ name: 'x', extends: 'pubsub/pull', options: { ackDeadline: 10 } })).toMatch(
      /unknown option "ackDeadline" for pubsub\/pull/,
    );
  });

  it('exactly-once-delivery keeps its vendor claim only as the vendor configures it', () => {
    const setup = resolveOne({
      name: 'eod',
      extends: 'pubsub/exactly-once-delivery',
      options: { retryPolicy: { minimumBackoffMs: 0, maximumBackoffMs: 0 } },
    });
    expect(setup.claimBasis).toBe('vendor');
    expect(
      resolveOne({
        name: 'eod2',
        extends: 'pubsub/exactly-once-delivery',
        claim: { delivery: 'at-least-once' },
      }).claimBasis,
    ).toBe('configuration');
  });
});
