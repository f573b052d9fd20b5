/**
 * A broker's backlog, asked no more often than its answers cost: after an answer that took d ms,
 * the next question waits until `pace × d` ms (at least `minGapMs`) have passed since the answer,
 * and gets the last answer meanwhile — unless that was 0, which is always asked again, or its
 * question was asked before `askedSince`. Counting is not free everywhere: ElasticMQ walks every
 * message of a queue to count it, on the actor that serves that queue's receives and deletes, so a
 * drain that asked on every turn kept the broker busy counting instead of delivering.
 */
export class PacedBacklog {
  private last: { value: number | undefined; asked: number; at: number; tookMs: number } | undefined;

  constructor(
    private readonly count: () => Promise<number | undefined>,
    private readonly pace = 10,
    private readonly minGapMs = 50,
    private readonly now: () => number = Date.now,
  ) {}

  /** `askedSince`: an answer to a question asked before then is not good enough (see the drain). */
  async ask(askedSince = Number.NEGATIVE_INFINITY): Promise<number | undefined> {
    const last = this.last;
    // A 0 may end the drain, so it is never an old one.
    if (
      last &&
      last.value !== 0 &&
      last.asked >= askedSince &&
      this.now() - last.at < Math.max(this.minGapMs, this.pace * last.tookMs)
    )
      return last.value;
    const asked = this.now();
    const value = await this.count();
    const at = this.now();
    this.last = { value, asked, at, tookMs: at - asked };
    return value;
  }
}
