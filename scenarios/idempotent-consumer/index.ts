import type { StoreAccess } from '../../core/store.ts';
import { DEFAULT_SHAPE, workloadArbitrary } from '../kit/arbitraries.ts';
import { CRASH_POINTS, type Scenario } from '../scenario.ts';
import { effectsFromStore, effectsReadBack } from './checker.ts';
import { type Ledger, MemoryLedger } from './ledger.ts';
import { PostgresLedger } from './postgres-ledger.ts';
import { ackThenCredit, checkThenAct, dedupeInTransaction } from './steps.ts';

const VARIANTS = [
  {
    name: 'dedupe-in-transaction',
    description:
      'The credit and the processed-id insert commit in one database transaction, then the message is acked: effectively-once.',
  },
  {
    name: 'check-then-act',
    description:
      'Look up the processed id, credit, insert the processed id — separate statements: a crash between the credit and the insert credits twice. Claims at-least-once effects.',
  },
  {
    name: 'ack-then-credit',
    description:
      'Ack the message, then credit without any dedupe: a crash after the ack loses the credit. At-most-once.',
  },
] as const;

const STEPS = {
  'dedupe-in-transaction': dedupeInTransaction,
  'check-then-act': checkThenAct,
  'ack-then-credit': ackThenCredit,
} as const;

type VariantName = keyof typeof STEPS;

/**
 * The seed's idempotency example for real: "credit an account only once per transaction ID". A
 * ledger and a processed-transactions table in the store; after the drain the harness reads the
 * ledger back, and effects are judged from what it holds.
 */
export const idempotentConsumer: Scenario<Ledger> = {
  name: 'idempotent-consumer',
  description:
    'Each message credits an account once per transaction id, judged from the ledger read back from the store.',
  variants: VARIANTS,
  // `after-effect`: the credit is written but not yet committed (transaction) or marked processed.
  crashPoints: [...CRASH_POINTS.slice(0, 1), 'after-effect', ...CRASH_POINTS.slice(1)],
  producing: { window: 8, retries: 5 },
  unfit: (setup, _capabilities, variant) => {
    if (variant === 'ack-then-credit') return undefined;
    return setup.ackMode === 'manual' && setup.claim.delivery !== 'at-most-once'
      ? undefined
      : `setup ${setup.name} does not redeliver unacknowledged messages`;
  },
  claim: (setup, variant) => ({
    ...setup.claim,
    delivery:
      variant === 'ack-then-credit'
        ? 'at-most-once'
        : variant === 'check-then-act'
          ? 'at-least-once'
          : 'effectively-once',
    maxAttempts: undefined,
    ordering: 'none',
  }),
  workload: (options) => workloadArbitrary(DEFAULT_SHAPE, options),
  consume: (d, step) => STEPS[step.variant as VariantName](d, step),
  store: {
    open: async (access: StoreAccess, { create }) => {
      if (access.kind === 'memory') return new MemoryLedger(access);
      return create ? PostgresLedger.create(access.sql) : new PostgresLedger(access.sql);
    },
    readBack: async (ledger, groups) =>
      effectsReadBack(
        groups,
        (await ledger.credits()).map((c) => ({ group: c.group, id: c.txn, effects: c.credits })),
      ),
  },
  checker: effectsFromStore,
};
