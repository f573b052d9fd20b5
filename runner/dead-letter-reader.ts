import type { Consumer } from '../drivers/driver.ts';
import type { Recorder } from './recorder.ts';

/** Reads a group's dead-letter destination and records each message found there as `dlq`. */
export class DeadLetterReader {
  private running = 0;
  lastActivity = 0;
  constructor(
    private readonly consumer: Consumer,
    private readonly name: string,
    private readonly group: string,
    private readonly recorder: Recorder,
  ) {}

  get idle(): boolean {
    return this.running === 0;
  }

  async start(): Promise<void> {
    await this.consumer.start(async (d) => {
      this.running++;
      this.lastActivity = Date.now();
      try {
        this.recorder.record({
          p: this.name,
          type: 'ok',
          f: 'dlq',
          id: d.id,
          group: this.group,
          dest: d.dest,
          ...(d.deadLetter?.deliveryCount !== undefined && { deliveryCount: d.deadLetter.deliveryCount }),
          ...(d.deadLetter?.reason !== undefined && { reason: d.deadLetter.reason }),
        });
        await d.ack();
      } finally {
        this.running--;
        this.lastActivity = Date.now();
      }
    });
  }

  async stop(): Promise<void> {
    await this.consumer.close();
  }
}
