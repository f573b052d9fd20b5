/**
 * Why a drain ended, and what the broker's backlog said on the way: kept in the case's diagnostics
 * so that a drain which ended too early (a message counted as lost that the broker still held) can
 * be told from a broker that lost it. The history has no place for it: it records what clients
 * saw, and a backlog question is the harness's, not a client's.
 */

/** How a drain ended. */
export type DrainEnd =
  /** The broker's backlog said 0, every consumer idle and quiet for the driver's settle period. */
  | 'backlog-empty'
  /** The broker cannot count its backlog: nothing arrived for the quiet period. */
  | 'quiet'
  /** The history said every message is settled, for the quiet period (settlement.ts). */
  | 'settled'
  /**
   * At the deadline, the history said some message was not settled, but the consumers had been
   * quiet for the driver's settle period: what is missing counts as missing, not as cut off.
   */
  | 'unsettled'
  /** The drain's deadline cut it off. */
  | 'deadline'
  /** The case was interrupted. */
  | 'interrupted';

/** One answer of the broker's backlog. */
export interface BacklogAnswer {
  /** ms since the drain started, when the question was asked. */
  atMs: number;
  /** What the driver said (`null`: the broker could not tell). */
  value: number | null;
  tookMs: number;
}

export interface DrainReport {
  ended: DrainEnd;
  ms: number;
  /** Questions asked of the broker in all. */
  questions: number;
  /** The first answer and the last ones (at most `DrainTrail.KEPT` in all), in order. */
  answers: BacklogAnswer[];
}

/** Collects a drain's backlog answers: the first and the last few, whatever the drain's length. */
export class DrainTrail {
  static readonly KEPT = 8;
  private readonly started: number;
  private first: BacklogAnswer | undefined;
  private readonly recent: BacklogAnswer[] = [];
  private questions = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.started = now();
  }

  /** Asks `count` and keeps its answer. */
  async ask(count: () => Promise<number | undefined>): Promise<number | undefined> {
    const asked = this.now();
    const value = await count();
    const answer = { atMs: asked - this.started, value: value ?? null, tookMs: this.now() - asked };
    this.questions++;
    if (!this.first) this.first = answer;
    else {
      this.recent.push(answer);
      if (this.recent.length > DrainTrail.KEPT - 1) this.recent.shift();
    }
    return value;
  }

  report(ended: DrainEnd): DrainReport {
    return {
      ended,
      ms: this.now() - this.started,
      questions: this.questions,
      answers: this.first ? [this.first, ...this.recent] : [],
    };
  }
}
