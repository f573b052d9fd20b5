import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import { subjectToken } from '../../drivers/nats/clients.ts';
import { natsSettings } from '../../drivers/nats/settings.ts';
import { NATS_SETUPS } from '../../drivers/nats/setups.ts';
import { SCENARIOS } from '../../scenarios/catalogue.ts';

describe('nats driver: settings and setups', () => {
  it('accepts its settings in the config file and rejects unknown keys', () => {
    const parsed = configSchema.parse({
      driver: 'nats',
      drivers: { nats: { servers: ['nats://127.0.0.1:4222'], ackWaitMs: 2000, storage: 'memory' } },
    });
    expect(parsed.drivers?.nats?.ackWaitMs).toBe(2000);
    expect(natsSettings.safeParse({ ackwait: 1 }).success).toBe(false);
    expect(natsSettings.safeParse({ servers: ['http://x'] }).success).toBe(false);
  });

  it('core setups acknowledge on delivery and claim at-most-once; JetStream ones ack manually', () => {
    for (const setup of NATS_SETUPS) {
      const core = setup.options.kind === 'core';
      expect(setup.ackMode).toBe(core ? 'on-delivery' : 'manual');
      if (core) expect(setup.claim.delivery).toBe('at-most-once');
    }
    expect(new Set(NATS_SETUPS.map((s) => s.name)).size).toBe(NATS_SETUPS.length);
  });

  it('every scenario of the catalogue has a setup it fits', () => {
    const capabilities = { fanOut: true } as Parameters<(typeof SCENARIOS)[number]['unfit']>[1];
    for (const scenario of SCENARIOS) {
      const variant = scenario.variants?.[0]?.name ?? '';
      expect(NATS_SETUPS.some((s) => scenario.unfit(s, capabilities, variant) === undefined)).toBe(true);
    }
  });

  it('turns keys into single subject tokens', () => {
    expect(subjectToken(undefined)).toBe('_');
    expect(subjectToken('k1')).toBe('k1');
    expect(subjectToken('a.b *>c')).toBe('a_b___c');
  });
});
