import type { CheckerFamily, FamilyAnomaly, FamilyPass, FamilyResult } from '../../../core/checker-family.ts';
import type { AppendEvent, HistoryEvent } from '../../../core/events.ts';

/** The group the event store's own anomalies are counted in (they belong to a stream, not a projection). */
export const STORE_GROUP = 'store';

/**
 * The `appends` measurement: streams written, distinct events acknowledged, appends refused as
 * conflicts or failed otherwise, appends with an unknown outcome, and forked versions.
 */
export interface AppendTally {
  streams: number;
  accepted: number;
  conflicts: number;
  rejected: number;
  unknown: number;
  forks: number;
}

/** Events acknowledged at one (stream, version): more than one id there is a fork. */
interface Slot {
  stream: string;
  version: number;
  /** First `append` `ok` per event id, in file order. */
  ids: Map<string, number>;
}

/**
 * The event store's family (docs/semantics.md "Event sourcing and CQRS"):
 *
 * - `forked`: two event ids acknowledged at the same (stream, version) — the store accepted
 *   conflicting writes. Counted once per (stream, version).
 * - `expectationIgnored`: an event acknowledged at a version other than expected + 1, its append
 *   having named a numeric expected version. Counted once per event id.
 *
 * An append's expected version is that of its invocation: the latest `append` `invoke` of the same
 * process and event id before the completion, with no other completion of them in between (a
 * completion without one falls back on its own `expected`, if it has one).
 */
export const eventStoreFamily: CheckerFamily = {
  name: 'event-store',
  kinds: ['forked', 'expectationIgnored'],
  start: (): FamilyPass => {
    const open = new Map<string, AppendEvent>();
    const slots = new Map<string, Slot>();
    const ignored = new Map<string, FamilyAnomaly>();
    let sawAppend = false;
    const tally: AppendTally = { streams: 0, accepted: 0, conflicts: 0, rejected: 0, unknown: 0, forks: 0 };
    const streams = new Set<string>();
    const accepted = new Set<string>();
    return {
      add(e: HistoryEvent) {
        if (e.f !== 'append') return;
        sawAppend = true;
        streams.add(e.stream);
        const key = `${e.p}\u0000${e.id}`;
        if (e.type === 'invoke') {
          open.set(key, e);
          return;
        }
        const invoke = open.get(key);
        open.delete(key);
        if (e.type === 'fail') {
          if (e.error === 'conflict') tally.conflicts++;
          else tally.rejected++;
        } else if (e.type === 'info') tally.unknown++;
        if (e.type !== 'ok' || e.version === undefined) return;
        accepted.add(e.id);
        const slotKey = `${e.stream}\u0000${e.version}`;
        let slot = slots.get(slotKey);
        if (!slot) {
          slot = { stream: e.stream, version: e.version, ids: new Map() };
          slots.set(slotKey, slot);
        }
        if (!slot.ids.has(e.id)) slot.ids.set(e.id, e.i);
        const expected = invoke ? invoke.expected : e.expected;
        if (typeof expected === 'number' && e.version !== expected + 1 && !ignored.has(e.id)) {
          ignored.set(e.id, {
            kind: 'expectationIgnored',
            id: e.id,
            group: STORE_GROUP,
            events: invoke ? [invoke.i, e.i] : [e.i],
            detail: `event ${e.id} appended to ${e.stream} expecting version ${expected} was acknowledged at version ${e.version}, not ${expected + 1}`,
          });
        }
      },
      result() {
        const anomalies: FamilyAnomaly[] = [];
        for (const slot of slots.values()) {
          if (slot.ids.size < 2) continue;
          const [[first, firstAt], [second, secondAt]] = [...slot.ids] as [
            [string, number],
            [string, number],
          ];
          const others = slot.ids.size > 2 ? ` (and ${slot.ids.size - 2} more)` : '';
          anomalies.push({
            kind: 'forked',
            id: `${slot.stream}@${slot.version}`,
            group: STORE_GROUP,
            events: [firstAt, secondAt],
            detail: `version ${slot.version} of ${slot.stream} was acknowledged to two different events, ${first} and ${second}${others}`,
          });
        }
        anomalies.push(...ignored.values());
        const counts: FamilyResult['counts'] = {};
        if (!sawAppend) return { counts, anomalies, reasons: [] };
        const forks = anomalies.length - ignored.size;
        counts[STORE_GROUP] = { forked: forks, expectationIgnored: ignored.size };
        const appends = { ...tally, streams: streams.size, accepted: accepted.size, forks };
        return { counts, anomalies, reasons: [], measurements: { appends } };
      },
    };
  },
};
