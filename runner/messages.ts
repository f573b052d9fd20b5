import { forkRandom } from '../core/random.ts';
import type { OutgoingMessage } from '../drivers/driver.ts';
import type { Workload } from '../scenarios/scenario.ts';

export interface PlannedMessage extends OutgoingMessage {
  producer: number;
}

/**
 * The messages of a case, derived from the workload alone (so a replay sends the same ones). With
 * keys, each key belongs to one producer, so per-key order is a property of one sender.
 *
 * Kept as two integers a message; the message itself (id, key, payload) is made when it is sent,
 * so a case of 10^6 messages does not hold 10^6 objects and payloads before it starts.
 */
export class MessagePlan {
  /** Key index of message n (-1: unkeyed). */
  private readonly keyOf: Int32Array;
  private readonly producerOf: Int32Array;
  private readonly poison: ReadonlySet<number>;

  constructor(private readonly workload: Workload) {
    const random = forkRandom(workload.seed, 'messages');
    this.poison = new Set(workload.poison);
    this.keyOf = new Int32Array(workload.messages);
    this.producerOf = new Int32Array(workload.messages);
    for (let n = 0; n < workload.messages; n++) {
      const keyIndex = workload.keys > 0 ? Math.floor(random() * workload.keys) : -1;
      this.keyOf[n] = keyIndex;
      this.producerOf[n] = keyIndex >= 0 ? keyIndex % workload.producers : n % workload.producers;
    }
  }

  get size(): number {
    return this.keyOf.length;
  }

  message(n: number): PlannedMessage {
    const id = `m${n}`;
    const keyIndex = this.keyOf[n]!;
    return {
      id,
      key: keyIndex >= 0 ? `k${keyIndex}` : undefined,
      poison: this.poison.has(n),
      payload: payload(id, this.workload.payloadBytes),
      producer: this.producerOf[n]!,
    };
  }

  /** The numbers of producer p's messages, in order. */
  of(producer: number): Int32Array {
    let count = 0;
    for (let n = 0; n < this.size; n++) if (this.producerOf[n] === producer) count++;
    const out = new Int32Array(count);
    let k = 0;
    for (let n = 0; n < this.size; n++) if (this.producerOf[n] === producer) out[k++] = n;
    return out;
  }
}

/** Every message of the plan as an object (small cases and benchmarks). */
export function planMessages(workload: Workload): PlannedMessage[] {
  const plan = new MessagePlan(workload);
  return Array.from({ length: plan.size }, (_, n) => plan.message(n));
}

const encoder = new TextEncoder();

function payload(id: string, bytes: number): Uint8Array {
  const body = new Uint8Array(Math.max(bytes, 0));
  encoder.encodeInto(id, body);
  return body;
}
