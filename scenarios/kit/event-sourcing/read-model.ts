import type { FamilyAnomaly } from '../../../core/checker-family.ts';
import type { StateEvent } from '../../../core/events.ts';

interface StreamState {
  version: number;
  digest: string | undefined;
  i: number;
}

/**
 * What one read-back (a projection's read model, or the store replayed) holds. A projection holds
 * one state a stream (the last one recorded); a replay may record a stream at several versions, its
 * head being the highest.
 */
export interface ReadBack {
  /** The read-back happened (its marker, or any stream in it). */
  readBack: boolean;
  /** Per stream, per version, the state recorded last. */
  streams: Map<string, Map<number, StreamState>>;
  /** Per stream, the state recorded last (a projection's final state). */
  last: Map<string, StreamState>;
}

export function readBack(): ReadBack {
  return { readBack: false, streams: new Map(), last: new Map() };
}

export function recordState(into: ReadBack, e: StateEvent): void {
  into.readBack = true;
  if (e.stream === undefined || e.version === undefined) return;
  const state = { version: e.version, digest: typeof e.digest === 'string' ? e.digest : undefined, i: e.i };
  let versions = into.streams.get(e.stream);
  if (!versions) {
    versions = new Map();
    into.streams.set(e.stream, versions);
  }
  versions.set(e.version, state);
  into.last.set(e.stream, state);
}

/** The replay's head of a stream: its highest recorded version (0, no event, when absent). */
function head(replay: ReadBack, stream: string): StreamState | undefined {
  let top: StreamState | undefined;
  for (const s of replay.streams.get(stream)?.values() ?? []) if (!top || s.version > top.version) top = s;
  return top;
}

/**
 * `readModelDiverged` in projection `name`, one per stream, judged on its final state (a stream
 * missing from the read-back is at version 0): below the highest acknowledged version; else, when
 * the store was replayed, at a version other than the replay's head, or with a digest other than the
 * replay's at that version.
 */
export function divergedStreams(
  name: string,
  model: ReadBack,
  replay: ReadBack,
  highestAck: ReadonlyMap<string, { version: number; i: number }>,
): FamilyAnomaly[] {
  const streams = new Set([...highestAck.keys(), ...model.last.keys(), ...replay.streams.keys()]);
  const found: FamilyAnomaly[] = [];
  const diverged = (stream: string, events: (number | undefined)[], detail: string) =>
    found.push({
      kind: 'readModelDiverged',
      id: stream,
      group: name,
      events: events.filter((i): i is number => i !== undefined),
      detail,
    });
  for (const stream of streams) {
    const final = model.last.get(stream);
    const version = final?.version ?? 0;
    const acked = highestAck.get(stream);
    if (acked && version < acked.version) {
      diverged(
        stream,
        [acked.i, final?.i],
        `${name} holds ${stream} at version ${version}, below version ${acked.version} acknowledged to a writer`,
      );
      continue;
    }
    if (!replay.readBack) continue;
    const top = head(replay, stream);
    if (version !== (top?.version ?? 0)) {
      diverged(
        stream,
        [final?.i, top?.i],
        `${name} holds ${stream} at version ${version}, but the store replays it to version ${top?.version ?? 0}`,
      );
      continue;
    }
    const replayed = replay.streams.get(stream)?.get(version);
    if (final?.digest !== undefined && replayed?.digest !== undefined && final.digest !== replayed.digest) {
      diverged(
        stream,
        [final.i, replayed.i],
        `${name} holds ${stream} at version ${version} as ${final.digest}, but replaying the store gives ${replayed.digest}`,
      );
    }
  }
  return found;
}
