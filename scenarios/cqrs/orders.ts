import { createHash } from 'node:crypto';
import type { Decision } from '../kit/event-sourcing/commands.ts';
import type { LoggedEvent } from '../kit/event-sourcing/event-log.ts';

/**
 * The command model of "list my orders": a customer's stream holds OrderCreated and OrderCancelled
 * events (their `data` is the order id). CreateOrder always succeeds; CancelOrder only cancels an
 * existing order that is still open — the command model rejects the rest.
 */
export type OrderStatus = 'open' | 'cancelled';

/** A customer's orders as the read model lists them: the fold of the stream up to `version`. */
export interface OrderList {
  version: number;
  orders: Map<string, OrderStatus>;
}

export function emptyList(): OrderList {
  return { version: 0, orders: new Map() };
}

/** Folds one event into a list (the same fold for the read model and the replay). */
export function applyOrderEvent(list: OrderList, event: LoggedEvent): OrderList {
  const orders = new Map(list.orders);
  orders.set(event.data, event.type === 'OrderCancelled' ? 'cancelled' : 'open');
  return { version: event.version, orders };
}

export function replayOrders(events: readonly LoggedEvent[]): OrderList {
  return events.reduce(applyOrderEvent, emptyList());
}

export function digestOfOrders(stream: string, list: OrderList): string {
  const rows = [...list.orders].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha1')
    .update(`${stream}|${list.version}|${rows.map(([order, status]) => `${order}:${status}`).join(',')}`)
    .digest('hex')
    .slice(0, 12);
}

function hash(text: string): number {
  let h = 0;
  for (let k = 0; k < text.length; k++) h = (h * 31 + text.charCodeAt(k)) | 0;
  return Math.abs(h);
}

/**
 * What command message `id` is, decided on the stream as loaded: mostly CreateOrder; about a third
 * CancelOrder of an open order; one in ten a CancelOrder the model must reject (an order that is
 * already cancelled, or none at all).
 */
export function decideOrder(id: string) {
  return (events: readonly LoggedEvent[]): Decision => {
    const roll = hash(id) % 10;
    const { orders } = replayOrders(events);
    const open = [...orders].filter(([, s]) => s === 'open').map(([order]) => order);
    if (roll === 9) return undefined; // cancelling what cannot be cancelled: rejected
    if (roll >= 6 && open.length > 0)
      return { type: 'OrderCancelled', data: open[hash(`${id}/order`) % open.length]! };
    return { type: 'OrderCreated', data: id };
  };
}
