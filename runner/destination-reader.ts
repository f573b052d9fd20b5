import type { EventInput } from '../core/events.ts';
import type { Recorder } from '../core/recorder.ts';
import type { Consumer, Delivery } from '../drivers/driver.ts';

/**
 * Reads a destination that is not the work itself — a dead-letter queue, a pipeline's output —
 * recording one event per message found there, then acknowledging it.
 */
export class DestinationReader {
  private running = 0;
  lastActivity = 0;
  constructor(
    private readonly consumer: Consumer,
    private readonly recorder: Recorder,
    private readonly toEvent: (d: Delivery) => EventInput,
  ) {}

  get idle(): boolean {
    return this.running === 0;
  }

  async start(): Promise<void> {
    await this.consumer.start(async (d) => {
      this.running++;
      this.lastActivity = Date.now();
      try {
        this.recorder.record(this.toEvent(d));
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

/** A dead-letter reader records `dlq` with what the broker says about the original. */
export function deadLetterEvent(name: string, group: string) {
  return (d: Delivery): EventInput => {
    const event: EventInput & Record<string, unknown> = {
      p: name,
      type: 'ok',
      f: 'dlq',
      id: d.id,
      group,
      dest: d.dest,
    };
    if (d.deadLetter?.deliveryCount !== undefined) event.deliveryCount = d.deadLetter.deliveryCount;
    if (d.deadLetter?.reason !== undefined) event.reason = d.deadLetter.reason;
    return event;
  };
}

/** An output reader records `process`: what downstream sees is what was processed. */
export function outputEvent(name: string, group: string) {
  return (d: Delivery): EventInput => ({
    p: name,
    type: 'ok',
    f: 'process',
    id: d.id,
    group,
    output: d.dest,
  });
}
