import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogTail } from '../../provision/docker/container-start.ts';

describe('LogTail (the last lines of a container that failed to start)', () => {
  it('keeps only the last lines, joining lines split across chunks', () => {
    const tail = new LogTail(3);
    tail.push('one\ntw');
    tail.push('o\nthree\nfour\nfi');
    expect(tail.text()).toBe('three\nfour\nfi');
  });

  it('reads a container log stream', async () => {
    const tail = new LogTail();
    const stream = new PassThrough();
    tail.consume(stream);
    stream.write('starting broker\n');
    stream.end('exited: port in use\n');
    await new Promise((resolve) => stream.on('end', resolve));
    expect(tail.text()).toBe('starting broker\nexited: port in use');
  });
});
