import type { MessageHandler } from 'brokerproof';
import { acceptOrder, parseOrder } from './orders.ts';

/**
 * The consumer's handler, as the service runs it in production and as brokerproof runs it under
 * test: process the order, and let the consumer acknowledge once this returns. Throwing gives the
 * message back (redelivered, dead-lettered after the setup's attempts).
 */
const handleOrder: MessageHandler = async (message) => {
  const order = parseOrder(message.id, message.headers);
  await acceptOrder(order);
};

export default handleOrder;
