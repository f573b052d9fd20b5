import { readFileSync } from 'node:fs';

/**
 * Per acknowledged poison message of a history: how many times consumers got it before it was
 * first read from the dead-letter queue (NaN when it never was).
 */
export function deliveriesBeforeDeadLetter(file: string): Map<string, number> {
  const events = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((e) => e.type !== 'meta');
  const sent = (predicate: (e: Record<string, unknown>) => boolean) =>
    new Set(events.filter((e) => e.f === 'send' && predicate(e)).map((e) => String(e.id)));
  const acknowledged = sent((e) => e.type === 'ok');
  const poison = [...sent((e) => e.poison === true)].filter((id) => acknowledged.has(id));
  const result = new Map<string, number>();
  for (const id of poison) {
    const firstDlq = events.findIndex((e) => e.f === 'dlq' && String(e.id) === id);
    result.set(
      id,
      firstDlq < 0
        ? Number.NaN
        : events.slice(0, firstDlq).filter((e) => e.f === 'deliver' && String(e.id) === id).length,
    );
  }
  return result;
}
