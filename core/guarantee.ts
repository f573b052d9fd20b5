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
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** Reported for information; never makes a history invalid. */
export const INFORMATIONAL_KINDS: ReadonlySet<AnomalyKind> = new Set(['recovered', 'redelivered']);

/**
 * What a setup claims: a delivery guarantee, an ordering scope, and optionally a dead-letter policy
 * (poison messages dead-lettered after exactly `maxAttempts` deliveries).
 */
export interface Claim {
  delivery: DeliveryGuarantee;
  ordering: OrderingScope;
  maxAttempts?: number | undefined;
}

const FORBIDDEN_BY_DELIVERY: Readonly<Record<DeliveryGuarantee, readonly AnomalyKind[]>> = {
  'at-most-once': ['duplicated', 'unexpected', 'phantom'],
  'at-least-once': ['lost', 'unexpected', 'phantom'],
  'exactly-once': ['lost', 'duplicated', 'unexpected', 'phantom'],
  'effectively-once': ['lost', 'unexpected', 'phantom', 'effectDuplicated', 'effectMissing'],
};

const DLQ_KINDS: readonly AnomalyKind[] = ['dlqMissing', 'dlqUnexpected', 'dlqEarly', 'dlqLate'];

export function forbiddenAnomalies(claim: Claim): AnomalyKind[] {
  const kinds = [...FORBIDDEN_BY_DELIVERY[claim.delivery]];
  if (claim.ordering !== 'none') kinds.push('reordered');
  if (claim.maxAttempts !== undefined) kinds.push(...DLQ_KINDS);
  return kinds;
}

/**
 * Anomalies that more events could still undo (the missing message may yet arrive). When a history
 * is incomplete these make the verdict "unknown" rather than false; every other kind is definite.
 */
export const ABSENCE_KINDS: ReadonlySet<AnomalyKind> = new Set(['lost', 'dlqMissing', 'effectMissing']);

export function isDeliveryGuarantee(value: string): value is DeliveryGuarantee {
  return (DELIVERY_GUARANTEES as readonly string[]).includes(value);
}
export function isOrderingScope(value: string): value is OrderingScope {
  return (ORDERING_SCOPES as readonly string[]).includes(value);
}

export function describeClaim(claim: Claim): string {
  const parts: string[] = [claim.delivery];
  if (claim.ordering !== 'none') parts.push(`${claim.ordering} order`);
  if (claim.maxAttempts !== undefined) parts.push(`DLQ after ${claim.maxAttempts} attempts`);
  return parts.join(', ');
}
