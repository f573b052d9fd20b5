/** The service's own domain code: an order as it arrives, and where accepted orders go. */
export interface Order {
  id: string;
  customer: string;
}

export class InvalidOrderError extends Error {}

/** Reads an order from a message; a malformed one cannot be processed, however often it is retried. */
export function parseOrder(id: string, headers: Readonly<Record<string, string>>): Order {
  // brokerproof marks the workload's poison messages; in production this is a failed schema check.
  if (headers['x-brokerproof-poison'] === 'true') throw new InvalidOrderError(`order ${id} is malformed`);
  return { id, customer: headers.key ?? 'anonymous' };
}

const accepted = new Map<string, Order>();

/** Stores the order (idempotently, by id): the side effect a lost message would be missing. */
export async function acceptOrder(order: Order): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  accepted.set(order.id, order);
}
