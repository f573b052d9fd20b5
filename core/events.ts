/**
 * History format v1 (docs/semantics.md): one flat, append-only list of events.
 * Every event carries `i` (index in file order), `t` (µs since the case started), `p` (process),
 * `type` and `f`. Fields beyond those listed are allowed and kept.
 */

export const HISTORY_VERSION = 1;

export type EventType = 'invoke' | 'ok' | 'fail' | 'info';
export type Operation =
  | 'send'
  | 'deliver'
  | 'process'
  | 'ack'
  | 'nack'
  | 'dlq'
  | 'effect'
  | 'crash'
  | 'fault'
  | 'phase'
  | 'state'
  | 'append'
  | 'apply'
  | 'query';

export type Phase = 'setup' | 'load' | 'heal' | 'drain' | 'check' | 'teardown';
export const PHASES: readonly Phase[] = ['setup', 'load', 'heal', 'drain', 'check', 'teardown'];

export const DEFAULT_GROUP = 'default';

/** The consumer groups of a case with `groups` groups (one: the default group). */
export function groupNames(groups: number): string[] {
  return groups <= 1 ? [DEFAULT_GROUP] : Array.from({ length: groups }, (_, g) => `group-${g}`);
}
/** The `state` group of a stream rebuilt from the event store itself (never a projection's name). */
export const REPLAY_GROUP = 'replay';

interface EventBase {
  i: number;
  t: number;
  p: string;
  type: EventType;
  f: Operation;
  [extra: string]: unknown;
}

export interface SendEvent extends EventBase {
  f: 'send';
  id: string;
  dest?: string;
  key?: string;
  poison?: boolean;
  partition?: number;
  offset?: string | number;
  error?: string;
}
export interface DeliverEvent extends EventBase {
  f: 'deliver';
  type: 'ok';
  id: string;
  group?: string;
  dest: string;
  partition?: number;
  offset?: string | number;
  redelivered?: boolean;
  deliveryCount?: number;
}
export interface ProcessEvent extends EventBase {
  f: 'process';
  type: 'ok';
  id: string;
  group?: string;
}
export interface AckEvent extends EventBase {
  f: 'ack';
  id: string;
  group?: string;
  error?: string;
}
export interface NackEvent extends EventBase {
  f: 'nack';
  type: 'ok';
  id: string;
  group?: string;
  requeue?: boolean;
  reason?: string;
}
export interface DlqEvent extends EventBase {
  f: 'dlq';
  type: 'ok';
  id: string;
  group?: string;
  dest: string;
  deliveryCount?: number;
}
export interface EffectEvent extends EventBase {
  f: 'effect';
  type: 'ok';
  id: string;
  group?: string;
  txn?: string;
  applied: boolean;
}
/**
 * `info`: the process was killed. `fail`: a planned crash that never fired (its `reason` says why,
 * `"cancelled"` when the case ended before the consumer reached the crash point).
 */
export interface CrashEvent extends EventBase {
  f: 'crash';
  type: 'info' | 'fail';
  target: string;
  /** Crash point, e.g. `before-process`. */
  point?: string;
  reason?: string;
}
/**
 * Nemesis activity. A `start` `fail` with `reason: "cancelled"` is a drawn fault that was never
 * started (it may come without an `invoke`).
 */
export interface FaultEvent extends EventBase {
  f: 'fault';
  type: 'invoke' | 'ok' | 'fail';
  fault: string;
  action: 'start' | 'stop';
  target: string;
  params?: Record<string, unknown>;
  reason?: string;
  error?: string;
  /** What a started fault found out (power-loss: the bytes dropped, per file). */
  detail?: Record<string, unknown>;
}
export interface PhaseEvent extends EventBase {
  f: 'phase';
  type: 'ok';
  phase: Phase;
  /** Set on the `drain` phase event written when the drain deadline cut the drain short. */
  cutOff?: boolean;
}

/**
 * What the store held after the drain, read back by the harness (docs/semantics.md "Store
 * read-back"): the ground truth beside what clients claimed. The idempotent consumer records, per
 * group and transaction id, how many times its effect is in the store (`effects`); the outbox and
 * dual write record, per message id, whether its business row committed (`committed`); event
 * sourcing records a stream's final `version` and `digest`.
 */
export interface StateEvent extends EventBase {
  f: 'state';
  type: 'ok';
  group?: string;
  id?: string;
  effects?: number;
  committed?: boolean;
  stream?: string;
  version?: number;
  digest?: string;
  /** Event sourcing's read-back marker: the read-back of `group` happened and found this many streams. */
  streams?: number;
}

/**
 * Event sourcing: a command handler appending one event (`id`) to `stream`. The invoke says which
 * stream version the writer read (`expected`: 0 for a new stream, or `"any"` without a check); an
 * `ok` says which version the store gave the event; a `fail` is definite (`error: "conflict"` for a
 * wrong expected version); an `info` is an unknown outcome. A retry reuses the event id.
 */
export interface AppendEvent extends EventBase {
  f: 'append';
  id: string;
  stream: string;
  expected?: number | 'any';
  version?: number;
  error?: string;
}
/** A projection (`group`) changed its read model with event `id` of `stream` at `version` (a skipped duplicate is no apply). */
export interface ApplyEvent extends EventBase {
  f: 'apply';
  type: 'ok';
  id: string;
  group?: string;
  stream: string;
  version: number;
}
/**
 * A read of a projection's read model (`group`): `invoke`, then `ok` showing `stream` at `version`
 * (0: not there yet), or `fail` / `info` when it got no answer.
 */
export interface QueryEvent extends EventBase {
  f: 'query';
  group?: string;
  stream?: string;
  version?: number;
  error?: string;
}

export type HistoryEvent =
  | SendEvent
  | DeliverEvent
  | ProcessEvent
  | AckEvent
  | NackEvent
  | DlqEvent
  | EffectEvent
  | CrashEvent
  | FaultEvent
  | PhaseEvent
  | StateEvent
  | AppendEvent
  | ApplyEvent
  | QueryEvent;

/** An event before the history assigns `i` and `t`. */
export type EventInput = HistoryEvent extends infer E
  ? E extends HistoryEvent
    ? Omit<E, 'i' | 't'>
    : never
  : never;

/** Optional first line of a history file. Readers skip it for checking. */
export interface HistoryMeta {
  type: 'meta';
  version: number;
  caseId?: string;
  scenario?: string;
  driver?: string;
  setup?: string;
  guarantee?: unknown;
  seed?: number;
  path?: string;
  groups?: string[];
  startedAt?: string;
  [extra: string]: unknown;
}

/**
 * Operations that name a message (and so carry `id`), and the ones that name a subscriber group.
 * Event sourcing's `append` and `apply` carry an event id too, but name no message.
 */
export const MESSAGE_OPERATIONS: ReadonlySet<Operation> = new Set([
  'send',
  'deliver',
  'process',
  'ack',
  'nack',
  'dlq',
  'effect',
]);

export const ALLOWED_TYPES: Readonly<Record<Operation, readonly EventType[]>> = {
  send: ['invoke', 'ok', 'fail', 'info'],
  deliver: ['ok'],
  process: ['ok'],
  ack: ['invoke', 'ok', 'fail', 'info'],
  nack: ['ok'],
  dlq: ['ok'],
  effect: ['ok'],
  crash: ['info', 'fail'],
  fault: ['invoke', 'ok', 'fail'],
  phase: ['ok'],
  state: ['ok'],
  append: ['invoke', 'ok', 'fail', 'info'],
  apply: ['ok'],
  query: ['invoke', 'ok', 'fail', 'info'],
};

export function groupOf(event: { group?: unknown }): string {
  return typeof event.group === 'string' ? event.group : DEFAULT_GROUP;
}
