import { describe, expect, it } from 'vitest';
import { PacedBacklog } from '../../runner/paced-backlog.ts';

/** A backlog whose answers take `costMs` of a hand-driven clock. */
function fixture(costMs: number) {
  let now = 0;
  let asked = 0;
  let value = 5;
  const backlog = new PacedBacklog(
    async () => {
      asked++;
      now += costMs;
      return value;
    },
    10,
    50,
    () => now,
  );
  return {
    backlog,
    asked: () => asked,
    advance: (ms: number) => {
      now += ms;
    },
    set: (v: number) => {
      value = v;
    },
  };
}

describe('PacedBacklog', () => {
  it('asks again only after ten times what the last answer took', async () => {
    const f = fixture(30);
    expect(await f.backlog.ask()).toBe(5);
    f.set(0);
    f.advance(299);
    expect(await f.backlog.ask()).toBe(5); // the last answer, not a new question
    expect(f.asked()).toBe(1);
    f.advance(1);
    expect(await f.backlog.ask()).toBe(0);
    expect(f.asked()).toBe(2);
  });

  it('keeps a floor between questions however cheap the answer', async () => {
    const f = fixture(0);
    await f.backlog.ask();
    f.advance(49);
    await f.backlog.ask();
    expect(f.asked()).toBe(1);
    f.advance(1);
    await f.backlog.ask();
    expect(f.asked()).toBe(2);
  });

  it('never answers 0 from an old count', async () => {
    const f = fixture(30);
    f.set(0);
    expect(await f.backlog.ask()).toBe(0);
    f.set(3);
    expect(await f.backlog.ask()).toBe(3);
    expect(f.asked()).toBe(2);
  });

  it('passes an unknown backlog on as unknown', async () => {
    const backlog = new PacedBacklog(async () => undefined);
    expect(await backlog.ask()).toBeUndefined();
  });

  it('asks again when the last question predates `askedSince`, pace or not', async () => {
    const f = fixture(30);
    await f.backlog.ask();
    f.advance(10);
    expect(await f.backlog.ask(0)).toBe(5); // asked at 0: good enough
    expect(f.asked()).toBe(1);
    f.set(0);
    expect(await f.backlog.ask(1)).toBe(0); // asked before 1: asked again
    expect(f.asked()).toBe(2);
  });
});
