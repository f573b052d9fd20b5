import { UsageError } from '../core/errors.ts';
import {
  CONCURRENCY_CLAIMS,
  type ConcurrencyClaim,
  DELIVERY_GUARANTEES,
  type DeliveryGuarantee,
  isConcurrencyClaim,
  isDeliveryGuarantee,
  isOrderingScope,
  ORDERING_SCOPES,
  type OrderingScope,
  PROJECTION_CLAIMS,
  type ProjectionClaim,
} from '../core/guarantee.ts';
import { isStoreKind, STORE_KINDS, type StoreKind } from '../core/store.ts';
import { SOAK_MAX_MINUTES } from '../runner/soak.ts';

/** Option parsers that fail with a message naming the option, the bad value and what is expected. */

export function positiveInt(option: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new UsageError(`${option} must be a positive integer (got "${value}")`);
    return n;
  };
}

export function seedValue(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new UsageError(`--seed must be an integer from 0 to 2147483647 (got "${value}")`);
  }
  return n;
}

export function guaranteeValue(value: string): DeliveryGuarantee {
  if (!isDeliveryGuarantee(value)) {
    throw new UsageError(`unknown guarantee "${value}"`, {
      hint: `Guarantees: ${DELIVERY_GUARANTEES.join(', ')}.`,
    });
  }
  return value;
}

export function orderingValue(value: string): OrderingScope {
  if (!isOrderingScope(value)) {
    throw new UsageError(`unknown ordering "${value}"`, {
      hint: `Orderings: ${ORDERING_SCOPES.join(', ')}.`,
    });
  }
  return value;
}

export function projectionValue(value: string): ProjectionClaim {
  if (!(PROJECTION_CLAIMS as readonly string[]).includes(value)) {
    throw new UsageError(`unknown projection claim "${value}"`, {
      hint: `Projection claims: ${PROJECTION_CLAIMS.join(', ')}.`,
    });
  }
  return value as ProjectionClaim;
}

export function concurrencyValue(value: string): ConcurrencyClaim {
  if (!isConcurrencyClaim(value)) {
    throw new UsageError(`unknown concurrency claim "${value}"`, {
      hint: `Concurrency claims: ${CONCURRENCY_CLAIMS.join(', ')}.`,
    });
  }
  return value;
}

export function listValue(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function storeValue(value: string): StoreKind {
  if (!isStoreKind(value))
    throw new UsageError(`--store must be ${STORE_KINDS.join(' or ')} (got "${value}")`);
  return value;
}

export function isolationValue(value: string): 'inline' | 'process' {
  if (value !== 'inline' && value !== 'process') {
    throw new UsageError(`--isolation must be inline or process (got "${value}")`);
  }
  return value;
}

export function nonNegativeNumber(option: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`${option} must be a number ≥ 0 (got "${value}")`);
    return n;
  };
}

/** Minutes of a soak case: more than 0, at most a day. */
export function soakMinutesValue(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > SOAK_MAX_MINUTES)
    throw new UsageError(
      `--soak must be a number of minutes, more than 0 and at most ${SOAK_MAX_MINUTES} (got "${value}")`,
      {
        hint: 'E.g. `--soak 5`: each case loads for five minutes with faults drawn throughout.',
      },
    );
  return n;
}
