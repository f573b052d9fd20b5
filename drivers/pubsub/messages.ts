/** How a message's id, key and poison flag travel: as Pub/Sub message attributes. */
export const ATTR_ID = 'bp-id';
export const ATTR_KEY = 'bp-key';
export const ATTR_POISON = 'bp-poison';
/** What the emulator and Pub/Sub write on a dead-lettered message. */
export const ATTR_DEAD_LETTER_COUNT = 'CloudPubSubDeadLetterSourceDeliveryCount';

/** An unkeyed message still gets a key, so it keeps its order among the other unkeyed ones. */
export const UNKEYED = '_';

export function orderingKeyOf(key: string | undefined): string {
  return key === undefined || key === '' ? UNKEYED : key;
}

export interface MessageFields {
  id: string;
  key: string | undefined;
  poison: boolean;
  /** The source subscription's delivery count, on a dead-lettered message. */
  deadLetterCount: number | undefined;
}

export function readAttributes(attributes: Readonly<Record<string, string>> | undefined): MessageFields {
  const a = attributes ?? {};
  const count = Number(a[ATTR_DEAD_LETTER_COUNT]);
  return {
    id: a[ATTR_ID] ?? '',
    key: a[ATTR_KEY],
    poison: a[ATTR_POISON] === '1',
    deadLetterCount: Number.isInteger(count) && count > 0 ? count : undefined,
  };
}
