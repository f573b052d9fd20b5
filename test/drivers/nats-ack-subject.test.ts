import { describe, expect, it } from 'vitest';
import { readAckSubject } from '../../drivers/nats/ack-subject.ts';

describe('nats: reading a JetStream ack subject', () => {
  it.each([
    // What nats-server 2.10+ writes (domain "_" and account hash, a trailing token).
    ['$JS.ACK._.nGTzT5kx.BP_s.c.3.1042.17.1764850000000000000.0.aB9x', 3, 1042],
    // Without the trailing token.
    ['$JS.ACK.hub.acct.BP_s.c.1.7.7.1764850000000000000.12', 1, 7],
    // The old layout, without domain and account hash.
    ['$JS.ACK.BP_s.c.2.99.50.1764850000000000000.0', 2, 99],
  ])('%s → delivered %i times, stream sequence %i', (reply, deliveryCount, streamSequence) => {
    expect(readAckSubject(reply)).toEqual({ deliveryCount, streamSequence });
  });

  it.each([
    ['a plain inbox', '_INBOX.abc.def'],
    ['too few tokens', '$JS.ACK.BP_s.c.2.99'],
    ['ten tokens (neither layout)', '$JS.ACK.x.BP_s.c.2.99.50.1764850000000000000.0'],
    ['a count that is not a number', '$JS.ACK.BP_s.c.two.99.50.1764850000000000000.0'],
    ['an empty sequence', '$JS.ACK._.h.BP_s.c.1..7.1764850000000000000.0'],
    ['nothing', ''],
  ])('leaves %s to nats.js', (_what, reply) => {
    expect(readAckSubject(reply)).toBeUndefined();
  });
});
