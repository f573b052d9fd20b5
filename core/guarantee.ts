/**
 * Guarantees a setup claims, and which anomalies each claim forbids (docs/semantics.md).
 */

export const DELIVERY_GUARANTEES = [
  'at-most-once',
  'at-least-once',
  'exactly-once',
  'effectively-once',
] as const;
export type DeliveryGuarantee = (typeof DELIVERY_GUARANTEES)[number];

export const ORDERING_SCOPES = ['none', 'per-key', 'per-partition', 'total'] as const;
export type OrderingScope = (typeof ORDERING_SCOPES)[number];

export const ANOMALY_KINDS = [
  'lost',
  'unexpected',
  'phantom',
  'recovered',
  'redelivered',
  'duplicated',
  'duplicatedAfterAck',
  'reordered',
  'dlqMissing',
  'dlqUnexpected',
  'dlqEarly',
  'dlqLate',
  'effectDuplicated',
  'effectMissing',
  // Event sourcing and CQRS: the event store, then the projections (read models).
  'forked',
  'expectationIgnored',
  'projectionLost',
  'projectionPhantom',
  'projectionDuplicated',
  'projectionReordered',
  'readModelDiverged',
  'staleRead',
  'nonMonotonicRead',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/**
 * Reported for information; never makes a history invalid. (`staleRead` is not here: it is allowed
 * unless a staleness bound is claimed, and then forbidden.)
 */
export const INFORMATIONAL_KINDS: ReadonlySet<AnomalyKind> = new Set(['recovered', 'redelivered']);

/** How an event store keeps a stream's writers apart. */
export const CONCURRENCY_CLAIMS = ['optimistic', 'single-writer'] as const;
export type ConcurrencyClaim = (typeof CONCURRENCY_CLAIMS)[number];

/** What a projection promises about the events it applies to its read model. */
export const PROJECTION_CLAIMS = ['exactly-once', 'at-least-once', 'idempotent-by-version'] as const;
export type ProjectionClaim = (typeof PROJECTION_CLAIMS)[number];

/**
 * What a setup claims: a delivery guarantee, an ordering scope, and optionally a dead-letter policy
 * (poison messages dead-lettered after exactly `maxAttempts` deliveries). Event sourcing adds how
 * the store treats concurrent writers, what its projections promise, and a bound on how stale a
 * read of a read model may be.
 */
export interface Claim {
  delivery: DeliveryGuarantee;
  ordering: OrderingScope;
  maxAttempts?: number | undefined;
  /** `optimistic`: appends carry an expected version the store enforces; `single-writer`: one writer a stream. */
  concurrency?: ConcurrencyClaim | undefined;
  projection?: ProjectionClaim | undefined;
  /** A query may lag the acknowledged writes by at most this long. */
  maxStalenessMs?: number | undefined;
}

const FORBIDDEN_BY_DELIVERY: Readonly<Record<DeliveryGuarantee, readonly AnomalyKind[]>> = {
  'at-most-once': ['duplicated', 'unexpected', 'phantom'],
  'at-least-once': ['lost', 'unexpected', 'phantom'],
  'exactly-once': ['lost', 'duplicated', 'unexpected', 'phantom'],
  'effectively-once': ['lost', 'unexpected', 'phantom', 'effectDuplicated', 'effectMissing'],
};

const DLQ_KINDS: readonly AnomalyKind[] = ['dlqMissing', 'dlqUnexpected', 'dlqEarly', 'dlqLate'];

// Single-writer stores take no expectations (`"any"`): whether one was ignored is not theirs to keep.
const FORBIDDEN_BY_CONCURRENCY: Readonly<Record<ConcurrencyClaim, readonly AnomalyKind[]>> = {
  optimistic: ['forked', 'expectationIgnored'],
  'single-writer': ['forked'],
};

// At-least-once may apply an event twice or out of order: only a read model that fails to converge
// is wrong. Idempotent-by-version skips duplicates, so an applied duplicate is one it failed to skip.
const FORBIDDEN_BY_PROJECTION: Readonly<Record<ProjectionClaim, readonly AnomalyKind[]>> = {
  'exactly-once': [
    'projectionLost',
    'projectionPhantom',
    'projectionDuplicated',
    'projectionReordered',
    'readModelDiverged',
  ],
  'at-least-once': ['projectionLost', 'projectionPhantom', 'readModelDiverged'],
  'idempotent-by-version': [
    'projectionLost',
    'projectionPhantom',
    'projectionDuplicated',
    'projectionReordered',
    'readModelDiverged',
  ],
};

export function forbiddenAnomalies(claim: Claim): AnomalyKind[] {
  const kinds = [...FORBIDDEN_BY_DELIVERY[claim.delivery]];
  if (claim.ordering !== 'none') kinds.push('reordered');
  if (claim.maxAttempts !== undefined) kinds.push(...DLQ_KINDS);
  if (claim.concurrency !== undefined) kinds.push(...FORBIDDEN_BY_CONCURRENCY[claim.concurrency]);
  if (claim.projection !== undefined)
    kinds.push(...FORBIDDEN_BY_PROJECTION[claim.projection], 'nonMonotonicRead');
  if (claim.maxStalenessMs !== undefined) kinds.push('staleRead');
  return kinds;
}

/**
 * Anomalies that more events could still undo (the missing message may yet arrive). When a history
 * is incomplete these make the verdict "unknown" rather than false; every other kind is definite.
 */
export const ABSENCE_KINDS: ReadonlySet<AnomalyKind> = new Set([
  'lost',
  'dlqMissing',
  'effectMissing',
  'projectionLost',
  // A read model behind (or unlike) the store may still catch up: the events it lacks may yet arrive.
  'readModelDiverged',
]);

export function isDeliveryGuarantee(value: string): value is DeliveryGuarantee {
  return (DELIVERY_GUARANTEES as readonly string[]).includes(value);
}
export function isOrderingScope(value: string): value is OrderingScope {
  return (ORDERING_SCOPES as readonly string[]).includes(value);
}
export function isConcurrencyClaim(value: string): value is ConcurrencyClaim {
  return (CONCURRENCY_CLAIMS as readonly string[]).includes(value);
}
export function isProjectionClaim(value: string): value is ProjectionClaim {
  return (PROJECTION_CLAIMS as readonly string[]).includes(value);
}

export function describeClaim(claim: Claim): string {
  const parts: string[] = [claim.delivery];
  if (claim.ordering !== 'none') parts.push(`${claim.ordering} order`);
  if (claim.maxAttempts !== undefined) parts.push(`DLQ after ${claim.maxAttempts} attempts`);
  if (claim.concurrency === 'optimistic') parts.push('optimistic concurrency');
  if (claim.concurrency === 'single-writer') parts.push('single-writer streams');
  if (claim.projection !== undefined) parts.push(`${claim.projection} projections`);
  if (claim.maxStalenessMs !== undefined) parts.push(`reads at most ${claim.maxStalenessMs} ms stale`);
  return parts.join(', ');
}
