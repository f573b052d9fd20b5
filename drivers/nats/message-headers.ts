import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { Delivery, OutgoingMessage } from '../driver.ts';

/** The application headers brokerproof puts on every NATS message, and reads back. */

export const HEADER_ID = 'bp-id';
export const HEADER_KEY = 'bp-key';
export const HEADER_POISON = 'bp-poison';
export const HEADER_DELIVERIES = 'bp-deliveries';
export const HEADER_REASON = 'bp-reason';

/** A message's id, key and poison flag, in one pass over its headers (each `get` scans them all). */
export function readHeaders(h: MsgHdrs | undefined): {
  id: string;
  key: string | undefined;
  poison: boolean;
} {
  let id = '';
  let key: string | undefined;
  let poison = false;
  if (h) {
    for (const [name, values] of h) {
      if (name === HEADER_ID) id = values[0] ?? '';
      else if (name === HEADER_KEY) key = values[0] ?? '';
      else if (name === HEADER_POISON) poison = values[0] === '1';
    }
  }
  return { id, key, poison };
}

/** What the dead-letter mover wrote on a message it moved. */
export function deadLetterInfo(h: MsgHdrs | undefined): Delivery['deadLetter'] {
  const deliveries = Number(h?.get(HEADER_DELIVERIES));
  return {
    deliveryCount: Number.isFinite(deliveries) && deliveries > 0 ? deliveries : undefined,
    reason: h?.get(HEADER_REASON) || undefined,
  };
}

/** The application headers every message carries: its id, key and poison flag. */
export function messageHeaders(message: OutgoingMessage): MsgHdrs {
  const h = headers();
  h.set(HEADER_ID, message.id);
  if (message.key !== undefined) h.set(HEADER_KEY, message.key);
  if (message.poison) h.set(HEADER_POISON, '1');
  return h;
}
