// The worker side of bench/recording/run.ts: a consumer's four events per message (deliver,
// process, ack invoke, ack ok), `BATCH` messages a turn of the event loop as a prefetching consumer
// takes them, recorded as the project records them ("compact": the typed writer's arguments, one
// line an event, with the 10 ms heartbeat), as it did before (JSON event lines), or as fixed 13-byte
// binary records (kind, t, message number), the cheapest a pipe record could be. Prints its CPU per
// message on stderr.
import { writeSync } from 'node:fs';
import { consumerEventsFor } from '../../core/client-events.ts';
import { CaseClock } from '../../core/clock.ts';
import { PipeRecorder } from '../../runner/worker-pipe.ts';

const [mode, count, epoch] = process.argv.slice(2);
const MESSAGES = Number(count);
const BATCH = 500;
const clock = new CaseClock(Number(epoch));

interface Recording {
  record(kind: 0 | 1 | 2 | 3, id: string, n: number): void;
  stop(): void;
}

function lines(compactConsumerEvents: boolean): Recording {
  const pipe = new PipeRecorder(clock, { compactConsumerEvents });
  const events = consumerEventsFor(pipe, 'consumer-0', undefined);
  return {
    record(kind, id) {
      if (kind === 0) events.deliver(id, 'bp.bench', undefined, undefined, false, undefined);
      else if (kind === 1) events.simple('ok', 'process', id);
      else if (kind === 2) events.simple('invoke', 'ack', id);
      else events.ackOutcome('ok', id, undefined);
    },
    stop: () => pipe.stop(),
  };
}

const RECORD_BYTES = 13;
const TICK = 255;

function binaryRecords(): Recording {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let used = 0;
  const flush = () => {
    for (let at = 0; at < used; ) {
      try {
        at += writeSync(1, buffer, at, used - at);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        Atomics.wait(pause, 0, 0, 1);
      }
    }
    used = 0;
  };
  const put = (kind: number, n: number) => {
    if (used + RECORD_BYTES > buffer.length) flush();
    buffer[used] = kind;
    buffer.writeDoubleLE(clock.nowMicros(), used + 1);
    buffer.writeUInt32LE(n, used + 9);
    used += RECORD_BYTES;
  };
  const heartbeat = setInterval(() => {
    put(TICK, 0);
    flush();
  }, 10);
  return {
    record: (kind, _id, n) => put(kind, n),
    stop() {
      clearInterval(heartbeat);
      put(TICK, 0);
      flush();
    },
  };
}

const recording = mode === 'binary' ? binaryRecords() : lines(mode === 'compact');
const before = process.cpuUsage();
let n = 0;
await new Promise<void>((resolve) => {
  const turn = () => {
    for (const end = Math.min(MESSAGES, n + BATCH); n < end; n++) {
      const id = `m${n}`;
      recording.record(0, id, n);
      recording.record(1, id, n);
      recording.record(2, id, n);
      recording.record(3, id, n);
    }
    if (n < MESSAGES) setImmediate(turn);
    else resolve();
  };
  turn();
});
recording.stop();
const cpu = process.cpuUsage(before);
process.stderr.write(`${JSON.stringify({ workerCpuUs: cpu.user + cpu.system })}\n`);
