import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { PhaseMeter } from '../../bench/shared/cpu.ts';

/**
 * A process that burns `ms` of its own CPU each time it reads a line, and answers `done`. With
 * `viaShell` it is the child of a shell and the pid given out is the shell's, as rabbitmq-server's
 * is the parent of beam.smp.
 */
class Burner {
  private readonly child: ChildProcess;
  private out = '';

  constructor(viaShell: boolean) {
    const script =
      "require('readline').createInterface({input:process.stdin}).on('line',(ms)=>{const t=process.cpuUsage();" +
      "while((process.cpuUsage(t).user+process.cpuUsage(t).system)/1000<Number(ms));console.log('done')})";
    this.child = viaShell
      ? spawn('sh', ['-c', `"${process.execPath}" -e "${script}"; :`], { stdio: ['pipe', 'pipe', 'inherit'] })
      : spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.out += chunk;
    });
    burners.push(this);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async burn(ms: number): Promise<void> {
    const before = this.out.length;
    this.child.stdin!.write(`${ms}\n`);
    while (!this.out.slice(before).includes('done')) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  kill(): void {
    spawn('pkill', ['-KILL', '-P', String(this.pid)]);
    this.child.kill('SIGKILL');
  }
}

const burners: Burner[] = [];
afterEach(() => {
  for (const burner of burners.splice(0)) burner.kill();
});

describe('PhaseMeter', () => {
  it('counts what the worker, the broker (with its children) and the proxy burn during the phase', async () => {
    const worker = new Burner(false);
    const broker = new Burner(true);
    const proxy = new Burner(false);
    const stranger = new Burner(false);
    await Promise.all([worker, broker, proxy, stranger].map((b) => b.burn(0)));
    const phase = new PhaseMeter({ broker: broker.pid, proxy: proxy.pid }).start(worker.pid);
    await worker.burn(300);
    await broker.burn(200);
    await proxy.burn(100);
    await stranger.burn(300);
    const sample = phase.stop();
    // /proc counts in ticks of 10 ms.
    expect(sample.cpuMicros.worker).toBeGreaterThanOrEqual(250_000);
    expect(sample.cpuMicros.broker).toBeGreaterThanOrEqual(150_000);
    expect(sample.cpuMicros.proxy).toBeGreaterThanOrEqual(50_000);
    // The stranger's 300 ms are no one's: each column is at most what its process burned, and more.
    expect(sample.cpuMicros.worker).toBeLessThan(400_000);
    expect(sample.cpuMicros.broker).toBeLessThan(300_000);
    expect(sample.cpuMicros.proxy).toBeLessThan(200_000);
    expect(sample.cpuMicros.bench).toBeGreaterThan(0);
    expect(sample.ms).toBeGreaterThanOrEqual(600);
    expect(sample.hostBusy).toBeGreaterThan(0);
    expect(sample.hostBusy).toBeLessThanOrEqual(1);
  }, 30_000);

  it('does not count what was burned before the phase began', async () => {
    const worker = new Burner(false);
    const broker = new Burner(true);
    await worker.burn(300);
    await broker.burn(300);
    const sample = new PhaseMeter({ broker: broker.pid, proxy: null }).start(worker.pid).stop();
    expect(sample.cpuMicros.worker).toBeLessThan(50_000);
    expect(sample.cpuMicros.broker).toBeLessThan(50_000);
    expect(sample.cpuMicros.proxy).toBe(0);
  }, 30_000);
});
