import { forkRandom } from '../core/random.ts';
import type { OutgoingMessage } from '../drivers/driver.ts';
import type { Workload } from '../scenarios/scenario.ts';

export interface PlannedMessage extends OutgoingMessage {
  producer: number;
}

/**
 * The messages of a case, derived from the workload alone (so a replay sends the same ones). With
 * keys, each key belongs to one producer, so per-key order is a property of one sender.
 */
export function planMessages(workload: Workload): PlannedMessage[] {
  const random = forkRandom(workload.seed, 'messages');
  const poison = new Set(workload.poison);
  const messages: PlannedMessage[] = [];
  for (let n = 0; n < workload.messages; n++) {
    const keyIndex = workload.keys > 0 ? Math.floor(random() * workload.keys) : -1;
    const producer = keyIndex >= 0 ? keyIndex % workload.producers : n % workload.producers;
    const id = `m${n}`;
    messages.push({
      id,
      key: keyIndex >= 0 ? `k${keyIndex}` : undefined,
      poison: poison.has(n),
      payload: payload(id, workload.payloadBytes),
      producer,
    });
  }
  return messages;
}

function payload(id: string, bytes: number): Uint8Array {
  const body = new Uint8Array(Math.max(bytes, 0));
  const text = new TextEncoder().encode(id);
  body.set(text.subarray(0, body.length));
  return body;
}
