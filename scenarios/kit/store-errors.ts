/**
 * Whether an error is the store being unreachable (an outage: try again later) rather than a
 * definite answer. Duck-typed on the name, so scenarios need not import the PostgreSQL client.
 */
export function isStoreUnavailableLike(error: unknown): boolean {
  return error instanceof Error && error.name === 'StoreUnavailableError';
}
