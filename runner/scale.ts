import type { Workload } from '../scenarios/scenario.ts';

/**
 * How a case grows with its size. The scenarios' windows and the drawn partition counts are made
 * for cases of hundreds to thousands of messages; a case of 10^5–10^6 needs what a team running that
 * load would configure, or it only measures one producer's round trip: 8 sends in flight held Kafka
 * (acks=all) to about 1 500 messages a second, and one partition with a commit after each record to
 * about 400 a second, so 10^6 messages outlasted the load deadline.
 */

/** Most sends one producer keeps in flight in a big case. */
export const MAX_SEND_WINDOW = 256;
/** Most partitions a big case asks of a partitioned broker. */
export const MAX_PARTITIONS = 32;

/**
 * Sends in flight per producer: the scenario's, widened in big cases to one per 1 000 messages the
 * producer sends (up to MAX_SEND_WINDOW, or the driver's `maxSendWindow`). A window of 1
 * (per-producer order) stays 1; a paced load keeps its rate whatever the window.
 */
export function sendWindow(
  scenarioWindow: number,
  workload: Pick<Workload, 'messages' | 'producers'>,
  driverMax = MAX_SEND_WINDOW,
): number {
  if (scenarioWindow <= 1) return scenarioWindow;
  const perProducer = Math.ceil(workload.messages / Math.max(1, workload.producers));
  const widest = Math.min(MAX_SEND_WINDOW, driverMax);
  return Math.max(scenarioWindow, Math.min(widest, Math.ceil(perProducer / 1000)));
}

/**
 * Partitions asked of the broker: the drawn count, or in big cases one per 50 000 messages (up to
 * MAX_PARTITIONS), so that consumers of a partitioned log work side by side.
 */
export function topologyPartitions(workload: Pick<Workload, 'messages' | 'partitions'>): number {
  return Math.max(workload.partitions, Math.min(MAX_PARTITIONS, Math.ceil(workload.messages / 50_000)));
}
