import type { SqlSession, StoreAccess } from '../../core/store.ts';
import type {
  ApplyHooks,
  ApplyOutcome,
  LoggedEvent,
  ProjectionOutcome,
} from '../kit/event-sourcing/event-log.ts';
import { applyOrderEvent, emptyList, type OrderList } from './orders.ts';
import { PostgresOrderLists } from './postgres-read-model.ts';

/**
 * Where the projection writes its checkpoint (the last version of a stream it applied) relative to
 * the read-model change: in the same transaction, in a transaction after it, or before it.
 */
export type Checkpointing = 'checkpoint-in-transaction' | 'checkpoint-after' | 'checkpoint-before';

export interface CheckpointHooks extends ApplyHooks {
  /** The crash point between the two writes (in one transaction: before it commits); true when dead. */
  between(): Promise<boolean>;
}

/**
 * The query model of "list my orders": per projection and customer, the orders and their status,
 * the version of the last event the list shows, and the projection's checkpoint. The checkpoint
 * alone decides whether an event is new (`duplicate` at or below it, `gap` past the next one): the
 * list itself is not idempotent by version, so where the checkpoint is written decides what a
 * crash between the writes does.
 */
export interface OrderLists {
  apply(
    group: string,
    event: LoggedEvent,
    checkpointing: Checkpointing,
    hooks: CheckpointHooks,
  ): Promise<ProjectionOutcome>;
  /** A query: the customer's list as projection `group` shows it now (version 0: nothing yet). */
  list(group: string, stream: string): Promise<OrderList>;
  /** Every list of projection `group` (read back after the drain). */
  lists(group: string): Promise<{ stream: string; list: OrderList }[]>;
}

export async function openOrderLists(access: StoreAccess, create: boolean): Promise<OrderLists> {
  if (access.kind === 'memory') return new MemoryOrderLists(access.space);
  return create ? PostgresOrderLists.create(access.sql as SqlSession) : new PostgresOrderLists(access.sql);
}

/** New (next version), held already, or ahead of a missing one, judged on the checkpoint. */
export function judgeNext(checkpoint: number, event: LoggedEvent): ApplyOutcome {
  if (event.version <= checkpoint) return 'duplicate';
  return event.version > checkpoint + 1 ? { gap: event.version - checkpoint - 1 } : 'applied';
}

interface Tables {
  checkpoints: Map<string, number>;
  lists: Map<string, OrderList>;
  /** Per (group, stream): the tail of its lock queue, standing in for a row lock. */
  locks: Map<string, Promise<void>>;
}

/** The reference query model, with row locks and transactions modelled in memory. */
class MemoryOrderLists implements OrderLists {
  private readonly t: Tables;

  constructor(space: Map<string, unknown>) {
    let t = space.get('order-lists') as Tables | undefined;
    if (!t) {
      t = { checkpoints: new Map(), lists: new Map(), locks: new Map() };
      space.set('order-lists', t);
    }
    this.t = t;
  }

  /** Runs `body` holding the (group, stream) lock: one transaction at a time per row. */
  private async locked<T>(key: string, body: () => Promise<T> | T): Promise<T> {
    const before = this.t.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.t.locks.set(key, mine);
    await before;
    try {
      return await body();
    } finally {
      release();
      if (this.t.locks.get(key) === mine) this.t.locks.delete(key);
    }
  }

  private writeList(key: string, event: LoggedEvent) {
    this.t.lists.set(key, applyOrderEvent(this.t.lists.get(key) ?? emptyList(), event));
  }

  async apply(group: string, event: LoggedEvent, checkpointing: Checkpointing, hooks: CheckpointHooks) {
    const key = `${group}\u0000${event.stream}`;
    const { checkpoints } = this.t;
    const next = () => judgeNext(checkpoints.get(key) ?? 0, event);
    if (checkpointing === 'checkpoint-in-transaction') {
      return this.locked(key, async (): Promise<ProjectionOutcome> => {
        if (next() !== 'applied') return next();
        if ((await hooks.between()) || !hooks.alive()) return 'died'; // nothing committed
        hooks.applying();
        this.writeList(key, event);
        checkpoints.set(key, event.version);
        return 'applied';
      });
    }
    if (checkpointing === 'checkpoint-after') {
      const first = await this.locked(key, (): ProjectionOutcome => {
        if (next() !== 'applied') return next();
        if (!hooks.alive()) return 'died';
        hooks.applying();
        this.writeList(key, event);
        return 'applied';
      });
      if (first !== 'applied') return first;
      if ((await hooks.between()) || !hooks.alive()) return 'died';
      checkpoints.set(key, Math.max(checkpoints.get(key) ?? 0, event.version));
      return 'applied';
    }
    const first = await this.locked(key, (): ProjectionOutcome => {
      if (next() !== 'applied') return next();
      if (!hooks.alive()) return 'died';
      checkpoints.set(key, event.version);
      return 'applied';
    });
    if (first !== 'applied') return first;
    if ((await hooks.between()) || !hooks.alive()) return 'died';
    return this.locked(key, (): ProjectionOutcome => {
      if (!hooks.alive()) return 'died';
      hooks.applying();
      this.writeList(key, event);
      return 'applied';
    });
  }

  async list(group: string, stream: string) {
    return this.t.lists.get(`${group}\u0000${stream}`) ?? emptyList();
  }

  async lists(group: string) {
    const prefix = `${group}\u0000`;
    return [...this.t.lists]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, list]) => ({ stream: key.slice(prefix.length), list }));
  }
}
