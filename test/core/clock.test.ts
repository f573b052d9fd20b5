import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CaseClock } from '../../core/clock.ts';

const hrtimeMs = () => Number(process.hrtime.bigint()) / 1e6;

describe('CaseClock', () => {
  it("reads the machine's monotonic clock (the one process.hrtime reads), to well under a millisecond", () => {
    for (let k = 0; k < 10_000; k++) {
      const before = hrtimeMs();
      const now = CaseClock.wallMs();
      const after = hrtimeMs();
      expect(now).toBeGreaterThanOrEqual(before - 0.01);
      expect(now).toBeLessThanOrEqual(after + 0.01);
    }
  });

  it('reads the same clock in another process, which works out its own offset (workers stamp events too)', () => {
    const script = `import { CaseClock } from ${JSON.stringify(new URL('../../core/clock.ts', import.meta.url).href)};
      const before = Number(process.hrtime.bigint()) / 1e6;
      const now = CaseClock.wallMs();
      const after = Number(process.hrtime.bigint()) / 1e6;
      console.log(JSON.stringify([before, now, after]));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const [before, now, after] = JSON.parse(child.stdout) as number[];
    expect(now).toBeGreaterThanOrEqual(before! - 0.01);
    expect(now).toBeLessThanOrEqual(after! + 0.01);
  });

  it('never goes backwards', () => {
    const clock = new CaseClock();
    let last = clock.nowMicros();
    for (let k = 0; k < 10_000; k++) {
      const t = clock.nowMicros();
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
  });
});
